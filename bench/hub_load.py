"""Cold ``datasets.load_dataset`` time of each config of a build, and its bytes on disk per loop.

Usage: python bench/hub_load.py NLC_LOOPS [--configs cc-by cc-by-loops ...] [--repeats 3]

Each load runs in a fresh Python process with an empty cache folder and the Hub offline, so
"cold" means what a user meets the first time: Arrow conversion of the Parquet files (the
``import datasets`` time is printed apart, since every load pays it once). Prints the median
of ``--repeats`` runs per config.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import sys, time
t0 = time.perf_counter()
from datasets import disable_progress_bars, load_dataset
disable_progress_bars()
t1 = time.perf_counter()
d = load_dataset(sys.argv[1], sys.argv[2], cache_dir=sys.argv[3])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, sum(len(s) for s in d.values()))
"""


def cold_load(root: Path, config: str) -> tuple[float, float, int]:
    """(import seconds, load seconds, rows) of one cold load in a fresh process."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": cache}
        out = subprocess.run([sys.executable, "-c", _CHILD, str(root.resolve()), config, cache],
                             capture_output=True, text=True, env=env, check=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="an nlc-loops build")
    parser.add_argument("--configs", nargs="+", default=None, help="configs to load (default: every config)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per config (median printed)")
    args = parser.parse_args()
    info = json.loads((args.root / "protocol.json").read_text())
    configs = args.configs or [c for g in info["groups"] for c in (g, f"{g}-loops")] + ["protocol", "protocol-loops"]
    loops = info["counts"]["splits"]["total"]["loops"]
    size = sum(p.stat().st_size for p in args.root.rglob("*") if p.is_file())
    print(f"{args.root}: {size / 1e6:.1f} MB on disk, {loops} loops, {size / loops / 1e3:.1f} kB per loop (whole folder)")
    for config in configs:
        runs = [cold_load(args.root, config) for _ in range(args.repeats)]
        print(f"{config:>22}: load {statistics.median(r[1] for r in runs):.2f} s cold "
              f"(import datasets {statistics.median(r[0] for r in runs):.2f} s), {runs[0][2]} rows")


if __name__ == "__main__":
    main()
