"""Cost of scoring through each baseline's submission path, per pair or per loop.

Usage::

    .venv/bin/python bench/scoring_cost.py [--threads 1] [--pairs 512] [--batch-size 16]

Builds freshly initialised CNN and SNN checkpoints (a forward pass costs the same whatever
the weights) and times, on seeded noise loops:

* CNN, pairs of *new* loops (two STFTs per pair, as in classification) and pairs of
  *cached* loops (100 queries x 100 candidates style: 200 distinct loops, as in ranking);
* SNN, per distinct loop embedded;
* AutoMashUpper, pairs of new loops and pairs of cached loops.

With one thread it reports CPU seconds (``time.process_time``), which a busy machine
disturbs far less than wall time; with more threads, wall time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import nlc  # noqa: F401  first: it sets OMP_WAIT_POLICY before torch loads OpenMP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--pairs", type=int, default=512, help="pairs timed per case")
    parser.add_argument("--batch-size", type=int, default=None, help="scorer batch (default: the scorers' own)")
    args = parser.parse_args()

    import torch

    from nlc.baselines.automashupper import AutoMashUpper
    from nlc.baselines.checkpoint import save_checkpoint
    from nlc.baselines.inference import DEFAULT_BATCH, CNNScorer, SNNScorer
    from nlc.baselines.models import build_model
    from nlc.spec import LOOP_SAMPLES

    torch.set_num_threads(args.threads)
    clock, unit = (time.process_time, "CPU") if args.threads == 1 else (time.perf_counter, "wall")
    batch = args.batch_size or DEFAULT_BATCH
    rng = np.random.default_rng(0)
    n = args.pairs
    fresh = rng.standard_normal((2 * n, LOOP_SAMPLES)).astype(np.float32) * 0.1
    pool = fresh[:200]
    q, c = rng.integers(0, 200, n), rng.integers(0, 200, n)

    def timed(fn) -> float:
        start = clock()
        fn()
        return clock() - start

    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        for kind in ("cnn", "snn"):
            save_checkpoint(Path(tmp) / f"{kind}.pt", build_model(kind).eval(), meta={"note": "untrained, for timing"})
        cnn = CNNScorer(Path(tmp) / "cnn.pt", batch_size=batch)
        cnn.score(fresh[:4], fresh[4:8])  # warm-up: imports, allocator, mel basis
        new = timed(lambda: cnn.score(fresh[:n], fresh[n:]))
        cnn.score(pool[q], pool[c])
        cached = timed(lambda: cnn.score(pool[q], pool[c]))
        print(f"CNN (batch {batch}): {1e3 * new / n:.2f} ms {unit} per pair of new loops, "
              f"{1e3 * cached / n:.2f} ms per pair of cached loops")
        snn = SNNScorer(Path(tmp) / "snn.pt", batch_size=batch)
        snn.embed(fresh[:4])
        emb = timed(lambda: snn.embed(fresh))
        print(f"SNN (batch {batch}): {1e3 * emb / len(fresh):.2f} ms {unit} per distinct loop embedded")
    amu = AutoMashUpper()
    amu.score(fresh[:4], fresh[4:8])
    new = timed(lambda: amu.score(fresh[:n], fresh[n:]))
    cached = timed(lambda: amu.score(fresh[:n], fresh[n:]))
    print(f"AutoMashUpper: {1e3 * new / n:.2f} ms {unit} per pair of new loops, {1e3 * cached / n:.2f} ms per pair of cached loops")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
