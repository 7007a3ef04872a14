"""Speed of a full benchmark run of the CNN baseline at paper scale (goal: <= 60 s on 2 cores).

Paper scale is about 6,400 classification pairs (3,200 validation positives and as many
negatives) and 10,000 ranking pairs (100 queries x 100 candidates). Without ``--data`` the
protocol is frozen by the dataset builder's own code over generated loops, held in memory
(:mod:`nlc.benchmark.synthetic`); with ``--data`` it times a real ``nlc-loops/`` folder,
decoding included. The CNN's weights are freshly initialised unless ``--submission``
names a trained one: the cost of a forward pass does not depend on the weights.

    .venv/bin/python bench/benchmark_speed.py [--data nlc-loops/] [--submission runs/cnn/submission.py]

Prints the wall time of the whole run (validation, classification, ranking, metrics with
1,000 bootstrap resamples) and of each stage. A trivial ``--submission`` measures the
harness's own cost (materialising 16,400 pairs, checks, bootstrap).

Measured 2026-11-26 on the 2-core development box, untrained CNN baseline, ``--threads 2``:
20.1 s idle (classification 10.7 s, ranking 8.8 s, metrics 0.2 s), 30.5 s beside one busy
process. Before the CNN scoring rewrite: 93.0 s on a clean Xeon host restricted to 2 cores
(``taskset -c 0,1``); a trivial numpy submission (the harness itself) 3.3 s there. The steps
in between are in docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nlc  # noqa: F401  first: it sets OMP_WAIT_POLICY before torch loads OpenMP

GOAL_S = 60.0


def untrained_cnn_submission(folder: Path) -> Path:
    """A CNN baseline submission folder with freshly initialised weights (seeded)."""
    import torch

    from nlc.baselines.checkpoint import save_checkpoint
    from nlc.baselines.export import CHECKPOINT_NAME, write_submission
    from nlc.baselines.models import build_model

    torch.manual_seed(0)
    save_checkpoint(folder / CHECKPOINT_NAME, build_model("cnn").eval(), meta={"note": "untrained, for timing"})
    return write_submission(folder, "cnn")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, help="an nlc-loops/ folder (default: generated paper-scale protocol)")
    parser.add_argument("--submission", type=Path, help="a CNN submission file (default: untrained CNN)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (the goal is for 2 cores)")
    parser.add_argument("--batch-size", type=int, default=64, help="pairs per call to score() (the harness default)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="device the CNN runs on")
    parser.add_argument("--validation-songs", type=int, default=400, help="generated: validation songs")
    parser.add_argument("--pairs-per-song", type=int, default=8, help="generated: validation pairs per song")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from nlc.benchmark.run import open_protocol, run_benchmark
    from nlc.benchmark.synthetic import synthetic_protocol

    tick = time.perf_counter()
    if args.data:
        data = open_protocol(args.data)
        source = str(args.data)
    else:
        data = synthetic_protocol(n_validation_songs=args.validation_songs, pairs_per_song=args.pairs_per_song,
                                  n_test_songs=100, loops_per_song=5, seed=0)
        source = "generated loops"
    print(f"protocol: {len(data.classification)} classification pairs, {len(data.ranking)} ranking pairs "
          f"({data.ranking['query_id'].nunique()} queries) from {source}; prepared in {time.perf_counter() - tick:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        submission = args.submission or untrained_cnn_submission(Path(tmp))
        results = run_benchmark(submission, data, seed=0, device=args.device, batch_size=args.batch_size,
                                log=lambda line: print("  " + line))
    t = results.timing
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in t.stages_s.items())
    verdict = "meets" if t.wall_time_s <= GOAL_S else "misses"
    who = "CNN baseline" if args.submission is None else results.model.name
    print(f"{who} full run on {args.device}: {t.wall_time_s:.1f} s, {args.threads} torch thread(s), "
          f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()} cores "
          f"({stages}); {verdict} the {GOAL_S:.0f} s goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
