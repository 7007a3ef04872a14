"""Speed of the dataset reader (``nlc.loops.reader``) on a synthetic nlc-loops folder.

Builds a dataset from N synthetic songs (no extraction; see
``nlc.dataset_builder.build.synthetic_records``), then times what training and scoring do:
opening with full verification, listing pairs, decoding every loop of a split in order,
and decoding random batches of 64 loops with a cold and a warm cache.

    .venv/bin/python bench/reader_speed.py --songs 300
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def _timed(label: str, fn, *, n: int | None = None, unit: str = "loops"):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    rate = f", {n / dt:,.0f} {unit}/s" if n else ""
    print(f"{label}: {dt * 1000:,.1f} ms{rate}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--songs", type=int, default=300, help="synthetic songs (3-4 loops each)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic records and batches")
    args = parser.parse_args()

    from nlc.loops import reader
    from nlc.dataset_builder.build.synthetic_records import build_synthetic_dataset

    scratch = Path(tempfile.mkdtemp(prefix="nlc-reader-speed-"))
    try:
        t0 = time.perf_counter()
        root = build_synthetic_dataset(scratch / "nlc-loops", work_root=scratch / "work", n_songs=args.songs,
                                       seed=args.seed)
        size = sum(p.stat().st_size for p in root.rglob("*.parquet")) / 1e6
        print(f"built {root} from {args.songs} songs in {time.perf_counter() - t0:.1f} s ({size:,.0f} MB of Parquet)")
        ds = _timed("open_dataset(verify=True), cold", lambda: reader.open_dataset(root))
        _timed("open_dataset(verify=True), again in-process", lambda: reader.open_dataset(root))
        train = _timed("pairs('train')", lambda: ds.pairs("train"))
        loops = ds.loops("train")["loop_id"].tolist()
        print(f"train: {len(train)} pairs, {len(loops)} loops")
        fresh = reader.open_dataset(root, verify=False)
        _timed("loop_audio(all train loops), cold", lambda: fresh.loop_audio(loops), n=len(loops))
        _timed("loop_audio(all train loops), cached", lambda: fresh.loop_audio(loops), n=len(loops))
        rng = np.random.default_rng(args.seed)
        cold = reader.open_dataset(root, verify=False, cache_loops=64)
        batches = [rng.choice(loops, size=min(64, len(loops)), replace=False) for _ in range(10)]
        _timed("10 random batches of 64, cache of 64 loops", lambda: [cold.loop_audio(b) for b in batches],
               n=64 * len(batches))
        _timed("classification() + ranking() with hash check", lambda: (ds.classification(), ds.ranking()))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
