"""Tempo and downbeat accuracy of extraction step 1 against a corpus's truth.json.

Usage::

    .venv/bin/python bench/beat_accuracy.py CORPUS [CORPUS ...] [--songs N]

Needs only each song's mix and ``ground_truth/NNNNNN/truth.json`` (tempo, downbeats), so it
also covers lmms songs whose stems could not be rendered. Per song it prints the true and
estimated tempo and the median distance, in true beats, from each estimated downbeat to the
nearest true one; then, per corpus:

* tempo accuracy: estimate within 4 % of the truth, and within 4 % up to a factor 2 or 1/2
  (the metrical-level ambiguity every tempo estimator has);
* downbeat accuracy among songs whose tempo is right: median distance < 0.15 beat (a whole
  song's bar grid on the true bar lines, not shifted by one or more beats).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

TEMPO_TOLERANCE: float = 0.04
DOWNBEAT_TOLERANCE_BEATS: float = 0.15


def song_accuracy(audio: np.ndarray, truth: dict, config) -> tuple[float, float, float]:
    """(estimated tempo in BPM, median downbeat distance in true beats, median signed offset in s).

    The offset is estimated minus nearest true downbeat (positive: the grid is late)."""
    import librosa

    from nlc.dataset_builder.extraction.beats import track_beats
    from nlc.dataset_builder.extraction.spectrum import mel_and_chroma

    c = config
    mel, chroma = mel_and_chroma(audio, sr=c.sr, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels)
    mel_db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=None)
    grid = track_beats(mel_db, chroma=chroma, sr=c.sr, hop_length=c.hop_length, duration=audio.size / c.sr, min_bpm=c.min_bpm,
                       max_bpm=c.max_bpm, max_beat_cv=c.max_beat_cv, min_pulse_clarity=c.min_pulse_clarity,
                       min_onset_db=c.min_onset_db)
    true_down = np.asarray(truth["downbeats"], dtype=np.float64)
    beat = 60.0 / float(truth["tempo"])
    diff = grid.downbeats[:, None] - true_down[None, :]
    nearest = diff[np.arange(diff.shape[0]), np.abs(diff).argmin(axis=1)]
    return float(grid.tempo), float(np.median(np.abs(nearest)) / beat), float(np.median(nearest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("corpora", type=Path, nargs="+", help="corpus folders with ground_truth/")
    parser.add_argument("--songs", type=int, default=None, help="first N songs per corpus (default: all)")
    args = parser.parse_args(argv)

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction.config import ExtractionConfig
    from nlc.errors import NLCError

    config = ExtractionConfig()
    for corpus in args.corpora:
        truths = sorted((corpus / "ground_truth").glob("*/truth.json"))[: args.songs]
        tempo_ok, octave_ok, down_ok, offsets, failed = [], [], [], [], []
        for path in truths:
            truth = json.loads(path.read_text())
            tid = path.parent.name
            mix = next(iter(sorted((corpus / "fma_full" / tid[:3]).glob(f"{tid}.*"))), None)
            if mix is None:
                continue
            try:
                tempo, down, offset = song_accuracy(load_audio(mix, sr=config.sr), truth, config)
            except NLCError as err:
                failed.append(tid)
                print(f"{tid}: {err}")
                continue
            ratio = tempo / float(truth["tempo"])
            exact = abs(ratio - 1.0) <= TEMPO_TOLERANCE
            tempo_ok.append(exact)
            octave_ok.append(min(abs(ratio * m - 1.0) for m in (1.0, 2.0, 0.5)) <= TEMPO_TOLERANCE)
            if exact:
                down_ok.append(down < DOWNBEAT_TOLERANCE_BEATS)
                if down_ok[-1]:
                    offsets.append(offset)
            name = Path(str(truth.get("project", tid))).stem
            print(f"{tid} {name[:30]:30s} tempo {truth['tempo']:6.1f} -> {tempo:6.1f} (x{ratio:.2f}); "
                  f"downbeats off by {down:.2f} beats, {1e3 * offset:+.0f} ms (medians)")
        n = len(tempo_ok)
        if not n:
            print(f"{corpus}: no song with truth and a usable beat")
            continue
        print(f"{corpus}: {n} songs ({len(failed)} without a stable beat): tempo within 4 % {np.mean(tempo_ok):.2f}, "
              f"up to a factor 2 {np.mean(octave_ok):.2f}; downbeats on the true bar lines in "
              f"{sum(down_ok)} of {len(down_ok)} songs with the right tempo "
              f"({np.mean(down_ok) if down_ok else float('nan'):.2f}); median offset of those grids "
              f"{1e3 * np.median(offsets) if offsets else float('nan'):+.1f} ms (positive: late)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
