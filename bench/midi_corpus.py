"""Render General MIDI songs into a bench corpus of fresh compositions, one stem per MIDI channel.

Usage::

    .venv/bin/python bench/midi_corpus.py OUT [--midi-dir /usr/share/games/openttd/baseset/openmsx]
        [--soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2]

Why: every lmms demo song has by now been used to choose something in the extraction, so a
figure measured on them says little about songs nobody tuned on. Debian's ``openttd-openmsx``
(OpenMSX, GPL-2: 31 songs by several composers, blues, ragtime, rock, swing...) is real music
no one here wrote, with its metre and instruments in the file: rendered by FluidSynth with the
General MIDI soundfont, each song gives a mix, one stem per channel and exact tempo, bar lines
and roles. It is not loop-based Hip-Hop and its sounds come from one soundfont: a check of
what the lmms figures claim on unseen songs, not a stand-in for FMA. Needs Debian's
``fluidsynth``, ``fluid-soundfont-gm`` and ``openttd-openmsx`` (``apt-get install ...``) and
``mido`` (the ``dev`` extra).

Kept: songs with one tempo, an explicit 4/4 time signature and at least 30 s. A file without
a time-signature event is not kept: its metre would be a guess (two OpenMSX files without one
repeat every three beats by their note onsets). Truth, as ``nlc-bench corpus lmms`` writes it
(``ground_truth/NNNNNN/truth.json``, ``stems/chK.wav``, the mix in ``fma_full/NNN/NNNNNN.wav``):
tempo, a downbeat every four beats from the file's start, one loop per channel that plays
notes, its role from General MIDI (channel 10: drum; programs 33-40: bass; else other), and
its bar activity by the corpus rule (:func:`nlc.dataset_builder.corpus.truth.bar_activity`).
Track ids follow the sorted list of all files, so a re-run never renumbers a song; songs
already written are skipped (the job resumes), a song that fails is reported and skipped.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

MIDI_DIR = Path("/usr/share/games/openttd/baseset/openmsx")
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
DRUM_CHANNEL: int = 9
"""General MIDI's percussion channel (10, counted from 1)."""
BASS_PROGRAMS: range = range(32, 40)
"""General MIDI programs 33-40 (counted from 1): acoustic, electric, fretless, slap and synth basses."""
MIN_SECONDS: float = 30.0
BEATS_PER_BAR: int = 4


@dataclass(frozen=True)
class MidiSong:
    """What the corpus needs to know of a MIDI file before rendering it."""

    tempos: frozenset[float]  # BPM of every tempo event
    signatures: frozenset[tuple[int, int]]
    programs: dict[int, int]  # channel -> first program change (0 when none)
    seconds: float


def read_song(path: Path) -> MidiSong:
    import mido

    mid = mido.MidiFile(path)
    tempos, signatures, programs, playing = set(), set(), {}, set()
    for track in mid.tracks:
        for msg in track:
            if msg.type == "set_tempo":
                tempos.add(round(float(mido.tempo2bpm(msg.tempo)), 6))
            elif msg.type == "time_signature":
                signatures.add((msg.numerator, msg.denominator))
            elif msg.type == "program_change":
                programs.setdefault(msg.channel, msg.program)
            elif msg.type == "note_on" and msg.velocity > 0:
                playing.add(msg.channel)
    return MidiSong(frozenset(tempos), frozenset(signatures), {c: programs.get(c, 0) for c in sorted(playing)},
                    float(mid.length))


def refusal(song: MidiSong) -> str | None:
    """Why a song cannot be kept with exact truth, or None."""
    if len(song.tempos) != 1:
        return f"{len(song.tempos)} tempi (one needed)"
    if song.signatures != {(4, 4)}:
        return f"time signatures {sorted(song.signatures)} (an explicit 4/4 needed)"
    if song.seconds < MIN_SECONDS:
        return f"{song.seconds:.0f} s (at least {MIN_SECONDS:g} s needed)"
    if not song.programs:
        return "no notes"
    return None


def gm_role(channel: int, program: int) -> str:
    """``drum``, ``bass`` or ``other`` of a General MIDI channel and program (both counted from 0)."""
    if channel == DRUM_CHANNEL:
        return "drum"
    return "bass" if program in BASS_PROGRAMS else "other"


def solo(mid: Any, channel: int) -> Any:
    """The mido MidiFile ``mid`` with every channel message of other channels removed (timing kept), as a new one."""
    import mido

    out = mido.MidiFile(type=mid.type, ticks_per_beat=mid.ticks_per_beat)
    for track in mid.tracks:
        kept, carry = mido.MidiTrack(), 0
        for msg in track:
            if getattr(msg, "channel", channel) != channel:
                carry += msg.time  # delta times: the dropped message's delay moves to the next kept one
                continue
            kept.append(msg.copy(time=msg.time + carry))
            carry = 0
        out.tracks.append(kept)
    return out


def fluidsynth(midi: Path, wav: Path, *, soundfont: Path) -> None:
    """Render ``midi`` to a 44.1-kHz WAV with FluidSynth; raises RuntimeError naming the file."""
    if shutil.which("fluidsynth") is None:
        raise RuntimeError("fluidsynth not found (apt-get install fluidsynth fluid-soundfont-gm)")
    done = subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", "44100", "-F", str(wav), str(soundfont), str(midi)],
                          capture_output=True, text=True)
    if done.returncode != 0 or not wav.is_file():
        raise RuntimeError(f"fluidsynth failed on {midi.name}: {done.stderr.strip()[-200:]}")


def write_song(out: Path, track_id: int, path: Path, song: MidiSong, *,
               render: Callable[[Path, Path], None]) -> dict[str, Any]:
    """Render one kept song into ``out`` (mix, stems, truth.json); returns its truth."""
    import mido
    import soundfile as sf

    from nlc.atomic import atomic_dir, atomic_path
    from nlc.dataset_builder.corpus.truth import bar_activity, truth_dir, write_truth
    from nlc.dataset_builder.fma_metadata import audio_path
    from nlc.spec import SAMPLE_RATE

    tempo = next(iter(song.tempos))
    bar_s = BEATS_PER_BAR * 60.0 / tempo
    final = truth_dir(out, track_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=f".render-{track_id:06d}-") as tmp_name:
        tmp = Path(tmp_name)
        render(path, tmp / "mix.wav")
        mix, _ = sf.read(tmp / "mix.wav", dtype="float32", always_2d=True)
        n_bars = max(1, int(np.ceil(mix.shape[0] / SAMPLE_RATE / bar_s - 1e-6)))
        starts = np.round(np.arange(n_bars + 1) * bar_s * SAMPLE_RATE).astype(np.int64)
        with atomic_dir(final, staging_parent=tmp) as part:
            (part / "stems").mkdir()
            loops, stems = [], []
            mid = mido.MidiFile(path)  # parsed once, soloed per channel
            for channel, program in song.programs.items():
                name = f"ch{channel + 1}"
                solo(mid, channel).save(tmp / f"{name}.mid")
                render(tmp / f"{name}.mid", part / "stems" / f"{name}.wav")
                audio, _ = sf.read(part / "stems" / f"{name}.wav", dtype="float32", always_2d=True)
                stems.append(audio.mean(axis=1))
                loops.append({"name": name, "track": f"channel {channel + 1}, program {program + 1}",
                              "role": gm_role(channel, program), "stem": f"stems/{name}.wav", "bars": None})
            layout = bar_activity(stems, starts)
            truth = {"track_id": track_id, "corpus": "midi", "project": str(path), "tempo": tempo,
                     "time_signature": [4, 4], "beats_per_bar": BEATS_PER_BAR, "sample_rate": SAMPLE_RATE,
                     "n_bars": n_bars, "downbeats": [round(b * bar_s, 6) for b in range(n_bars)],
                     "duration": round(mix.shape[0] / SAMPLE_RATE, 6), "loops": loops,
                     "layout": layout.astype(int).tolist(),
                     "silent_stems": [lp["name"] for lp, col in zip(loops, layout.T) if not col.any()]}
            write_truth(part, truth)
        with atomic_path(audio_path(out, track_id, ext="wav")) as dest:
            shutil.move(str(tmp / "mix.wav"), dest)
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("out", type=Path, help="corpus folder to write (created if missing)")
    parser.add_argument("--midi-dir", type=Path, default=MIDI_DIR, help="folder of .mid files (Debian's openttd-openmsx)")
    parser.add_argument("--soundfont", type=Path, default=SOUNDFONT, help="General MIDI soundfont (fluid-soundfont-gm)")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    from nlc.dataset_builder.corpus.truth import truth_dir
    from nlc.dataset_builder.fma_metadata import audio_path

    files = sorted(args.midi_dir.glob("*.mid"))
    if not files:
        print(f"no .mid files in {args.midi_dir} (apt-get install openttd-openmsx)")
        return 1
    if not args.soundfont.is_file():
        print(f"no soundfont at {args.soundfont} (apt-get install fluid-soundfont-gm)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    kept = skipped = failed = 0
    for track_id, path in enumerate(tqdm(files, unit="song", desc="midi songs"), start=1):
        try:
            song = read_song(path)
        except (OSError, ValueError, EOFError) as exc:
            tqdm.write(f"skipped {path.name}: unreadable MIDI ({exc})")
            skipped += 1
            continue
        reason = refusal(song)
        if reason is not None:
            tqdm.write(f"skipped {path.name}: {reason}")
            skipped += 1
            continue
        if (truth_dir(args.out, track_id) / "truth.json").is_file() and audio_path(args.out, track_id, ext="wav").is_file():
            kept += 1
            continue
        try:
            truth = write_song(args.out, track_id, path, song,
                               render=lambda m, w: fluidsynth(m, w, soundfont=args.soundfont))
        except (RuntimeError, OSError) as exc:
            tqdm.write(f"failed {path.name}: {exc}")
            failed += 1
            continue
        kept += 1
        tqdm.write(f"{track_id:06d} {path.stem}: {truth['tempo']:.1f} BPM, {truth['n_bars']} bars, "
                   + ", ".join(f"{lp['name']} {lp['role']}" for lp in truth["loops"]))
    print(f"{args.out}: {kept} songs kept, {skipped} skipped, {failed} failed, of {len(files)} MIDI files")
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
