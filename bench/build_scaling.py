"""Scaling of ``nlc-bench dataset build``: songs per hour with 1 and 2 Dask workers.

Renders (or reuses) a synthetic corpus of N songs, builds the dataset from scratch once per
worker count (fresh work folder each time, so every song is extracted), and prints songs
per hour of the Dask phase and of the whole build, plus the scaling efficiency
``rate(k workers) / (k * rate(1 worker))`` (goal: >= 0.8 from 1 to 2 workers).

Usage::

    .venv/bin/python bench/build_scaling.py --songs 1000 --corpus /data/synth1000
    .venv/bin/python bench/build_scaling.py --songs 40 --workers 1 2

Only meaningful on otherwise idle cores: the numbers are what this machine did, now.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--songs", type=int, default=1000, help="synthetic songs to build from")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="corpus folder (rendered there if incomplete; default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=0, help="corpus and build seed")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements here")
    args = parser.parse_args()

    from nlc.dataset_builder.build.builder import build_dataset
    from nlc.dataset_builder.build.workdir import WorkDir
    from nlc.dataset_builder.corpus.synth import build_synth_corpus

    scratch = Path(tempfile.mkdtemp(prefix="nlc-build-scaling-"))
    corpus = args.corpus or scratch / "corpus"
    t0 = time.perf_counter()
    build_synth_corpus(corpus, n_songs=args.songs, seed=args.seed, progress=True)
    print(f"corpus: {args.songs} songs in {corpus} ({time.perf_counter() - t0:.0f} s to render or check)")

    results = []
    try:
        for workers in args.workers:
            out = scratch / f"out-{workers}"
            result = build_dataset(corpus, out, work_dir=scratch / f"work-{workers}", workers=workers,
                                   seed=args.seed, progress=True)
            n = result.processed_now
            run = result.run
            row = {
                "workers": workers, "songs": n, "failed": result.failed,
                "song_seconds": round(result.song_seconds, 1), "total_seconds": round(result.seconds, 1),
                "songs_per_hour": round(n / result.song_seconds * 3600, 1),
                "songs_per_hour_total": round(n / result.seconds * 3600, 1),
                "seconds_per_song_per_worker": round(result.song_seconds * workers / max(n, 1), 2),
                "steady_songs_per_hour": round(run.steady_songs_per_hour or 0.0, 1),
                "cpu_seconds_per_song": round(run.cpu_seconds / max(n, 1), 2),
                "load_average_1min_after": round(os.getloadavg()[0], 2),
            }
            results.append(row)
            print(f"workers={workers}: {n} songs ({result.failed} failed) in {row['song_seconds']} s "
                  f"-> {row['songs_per_hour']} songs/h; steady state (worker start-up excluded) "
                  f"{row['steady_songs_per_hour']} songs/h; {row['cpu_seconds_per_song']} CPU s/song; "
                  f"whole build incl. ingest+release {row['total_seconds']} s; "
                  f"load average {row['load_average_1min_after']}")
            reasons = Counter(reason.split(":")[0] for reason in WorkDir(scratch / f"work-{workers}").failures().values())
            row["failure_reasons"] = dict(reasons.most_common())
            if reasons:
                print("  failed songs by reason: " + "; ".join(f"{n} x {r}" for r, n in reasons.most_common()))
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(scratch / f"work-{workers}", ignore_errors=True)
    finally:
        if args.corpus is None:
            shutil.rmtree(scratch, ignore_errors=True)
    base = results[0]
    for row in results[1:]:
        ratio = row["workers"] / base["workers"]
        row["efficiency"] = round(row["songs_per_hour"] / (ratio * base["songs_per_hour"]), 3)
        if base["steady_songs_per_hour"] and row["steady_songs_per_hour"]:
            row["steady_efficiency"] = round(row["steady_songs_per_hour"] / (ratio * base["steady_songs_per_hour"]), 3)
        print(f"scaling efficiency {base['workers']} -> {row['workers']} workers: {row['efficiency']:.2f} "
              f"(steady state {row.get('steady_efficiency', float('nan')):.2f}; goal >= 0.80; "
              f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}: other jobs share the cores)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
