"""Time-stretch choices for step 7: CPU time per bar and difference from the default.

Usage::

    .venv/bin/python bench/stretch_choices.py CORPUS [--songs 4] [--bars 10]

For the first ``--songs`` songs of the corpus, :func:`extract_song` finds the bar grid; then
``--bars`` bars of each song's mixture (evenly spread, each scaled to peak 0.5 so that no
candidate clips: the command line redoes a clipping stretch at a lower gain) are stretched to one loop (88,200
samples) by every candidate, one bar at a time unless said otherwise. Printed per candidate:
CPU milliseconds per bar (this process and its children) and the mean absolute difference,
in dB, between its log-mel (the benchmark's ``nlc.features.log_mel``) and that of the
default (Rubber Band R2 in-process, ``stretch.stretch_to``). For scale, two good stretchers
(R2 and R3) differ by about 3 dB. Candidates: the ``rubberband`` command line per bar and
with all bars of a song as channels of one call (the former ``stretch_many``: channels
share transient detection, so the bars change each other), R2 with a short window or
without phase continuity, R3, and librosa's phase vocoder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def _cli(block: np.ndarray, rate: float, tmp: Path) -> np.ndarray:
    """``rubberband --tempo rate`` on (samples, channels) float32; returns (channels, 88200)."""
    import librosa
    import soundfile as sf

    src, dst = tmp / "in.wav", tmp / "out.wav"
    sf.write(src, block, 44_100, subtype="FLOAT")
    subprocess.run(["rubberband", "-q", "--tempo", repr(rate), str(src), str(dst)], check=True, capture_output=True)
    return librosa.util.fix_length(sf.read(dst, dtype="float32", always_2d=True)[0].T, size=88_200)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="corpus folder (fma_full/*/*.wav|mp3)")
    parser.add_argument("--songs", type=int, default=4, help="songs to take bars from (first N)")
    parser.add_argument("--bars", type=int, default=10, help="bars per song, evenly spread")
    args = parser.parse_args(argv)

    import librosa
    import pedalboard

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import extract_song
    from nlc.dataset_builder.extraction.pipeline import cpu_seconds, single_threaded
    from nlc.dataset_builder.extraction.stretch import stretch_to
    from nlc.errors import NLCError
    from nlc.features import log_mel_batch

    def pb(**kw):
        return lambda bars, rate, tmp: np.stack(
            [pedalboard.time_stretch(x[None], 44_100.0, rate, **kw)[0] for x in bars])

    candidates = {
        "R2 in-process (default)": lambda bars, rate, tmp: np.stack(
            [stretch_to(x, n_samples=88_200, sr=44_100) for x in bars]),
        "rubberband CLI, per bar": lambda bars, rate, tmp: np.concatenate(
            [_cli(x[:, None], rate, tmp) for x in bars]),
        "rubberband CLI, one call": lambda bars, rate, tmp: _cli(bars.T.copy(), rate, tmp),
        "R2 short window": pb(high_quality=False, use_long_fft_window=False),
        "R2 no phase continuity": pb(high_quality=False, retain_phase_continuity=False),
        "R3 (finer)": pb(high_quality=True),
        "librosa phase vocoder": lambda bars, rate, tmp: librosa.effects.time_stretch(bars, rate=rate),
    }
    songs = sorted(p for p in (args.corpus / "fma_full").glob("*/*") if p.suffix in (".wav", ".mp3"))
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    done = 0
    with single_threaded(), tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for path in songs:
            if done == args.songs:
                break
            try:
                summary = extract_song(path, tmp / "out", song_id=path.stem)
            except NLCError as exc:
                print(f"  skip {path.name}: {exc}", file=sys.stderr)
                continue
            done += 1
            audio = load_audio(path)
            starts = np.round(np.array(summary["downbeats"]) * 44_100).astype(int)
            length = int(np.min(np.diff(starts)))
            picks = np.unique(np.linspace(0, starts.size - 2, args.bars).round().astype(int))
            bars = np.stack([audio[starts[b]:starts[b] + length] for b in picks]).astype(np.float32)
            bars *= 0.5 / np.maximum(np.abs(bars).max(axis=1, keepdims=True), 1e-6)  # no clipping anywhere
            rate = length / 88_200
            outs = {}
            for name, run in candidates.items():
                c0 = cpu_seconds()
                outs[name] = librosa.util.fix_length(np.asarray(run(bars, rate, tmp), dtype=np.float32), size=88_200)
                results[name].append(((cpu_seconds() - c0) / len(bars), 0.0))
            ref = log_mel_batch(outs["R2 in-process (default)"])
            for name in candidates:
                cpu, _ = results[name][-1]
                results[name][-1] = (cpu, float(np.mean(np.abs(log_mel_batch(outs[name]) - ref))))
    print(f"{args.corpus}: {done} songs x up to {args.bars} bars")
    for name, rows in results.items():
        if rows:
            r = np.array(rows)
            print(f"  {name:26s} CPU {1000 * r[:, 0].mean():6.1f} ms/bar   log-mel MAE vs default {r[:, 1].mean():.2f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
