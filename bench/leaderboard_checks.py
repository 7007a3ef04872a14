"""How long the leaderboard's checks take on an FMA-sized result file.

Builds a result file of the paper's protocol size (default 2,000 classification pairs and
100 ranking queries x 100 candidates) with seeded random scores through the benchmark's own
code, then times: reading it, the full submit check (schema, protocol, item digest, every
figure and bootstrap interval recomputed), writing the entry, and rendering the board.

    .venv/bin/python bench/leaderboard_checks.py [--pairs 2000] [--queries 100] [--entries 12]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "leaderboard"))

from leaderboard_fixtures import PROTOCOL, protocol_tables, results_for, write_board  # noqa: E402

from nlc.benchmark import results as R  # noqa: E402
from nlc.leaderboard.checks import check_entry  # noqa: E402
from nlc.leaderboard.render import render_board  # noqa: E402
from nlc.leaderboard.submit import submit_entry  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1000, help="positive pairs (as many negatives are added)")
    parser.add_argument("--queries", type=int, default=100, help="ranking queries (and candidates per query)")
    parser.add_argument("--entries", type=int, default=12, help="entries submitted to the board")
    args = parser.parse_args()
    cls, rank = protocol_tables(n_pos=args.pairs, n_queries=args.queries, n_cand=args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        board = write_board(Path(tmp) / "board", cls, rank, protocol=PROTOCOL)
        submit_s, paths = [], []
        for seed in range(args.entries):
            path = R.save_results(results_for(cls, rank, protocol=PROTOCOL, seed=seed, skill=0.05 * seed,
                                              n_resamples=1000), Path(tmp) / f"r{seed}.json")
            tick = time.perf_counter()
            paths.append(submit_entry(path, board=board, name=f"model {seed}"))
            submit_s.append(time.perf_counter() - tick)
        tick = time.perf_counter()
        for path in paths:
            check_entry(path)
        check_s = (time.perf_counter() - tick) / len(paths)
        tick = time.perf_counter()
        render_board(board)
        render_s = time.perf_counter() - tick
        size_mb = paths[0].stat().st_size / 2**20
    print(f"protocol: {len(cls)} classification items, {args.queries} queries x {args.queries} candidates")
    print(f"entry file: {size_mb:.2f} MiB")
    print(f"submit (read + all checks + write): first {submit_s[0]:.2f} s, last {submit_s[-1]:.2f} s "
          f"(duplicate scan grows with the board)")
    print(f"check_entry (CI, per entry): {check_s:.2f} s")
    print(f"render {args.entries} entries: {render_s:.2f} s")


if __name__ == "__main__":
    main()
