"""Time the synthetic corpus: seconds to render N songs (default 100) on one CPU core.

Target (issue 2): 100 songs in under a minute on one core. The process pins itself to a
single core and single-threaded BLAS/FFT before numpy loads, renders into a temporary
folder (or --out), prints the measured figures and removes the temporary folder.

    .venv/bin/python bench/corpus_synth_speed.py [--songs 100] [--seed 0] [--out DIR]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=100, help="songs to render (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--out", default=None, help="folder to keep the corpus in (default: temporary, removed)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from nlc.dataset_builder.corpus.synth import build_synth_corpus

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nlc-synth-bench-"))
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        report = build_synth_corpus(out, n_songs=args.songs, seed=args.seed, progress=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    print(f"songs rendered: {len(report['done'])} (skipped {len(report['skipped'])}, failed {len(report['failed'])})")
    print(f"audio: {report['audio_seconds']:.0f} s of mix; written: {size / 1e9:.2f} GB")
    print(f"wall: {wall:.1f} s  cpu: {cpu:.1f} s  on 1 core  ({wall / max(len(report['done']), 1):.3f} s/song)")
    scale = 100 / max(len(report["done"]), 1)
    print(f"per 100 songs: wall {wall * scale:.1f} s, cpu {cpu * scale:.1f} s (target < 60 s; wall counts "
          f"waiting for a busy machine, cpu is this process's own user+system time; load avg "
          f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
