"""nlc-bench dataset build|publish|stats: make, push and describe the nlc-loops/ folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nlc.cli import add_json_option, console
from nlc.dataset_builder.extraction.config import BEAT_TRACKER_HELP, BEAT_TRACKERS

_TABLE1_KEYS: tuple[str, ...] = ("loops", "pairs", "songs")
"""JSON keys of Table 1's columns (# loops, # loop pairs, # songs), in order."""


def _build(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.build.builder import build_dataset
    from nlc.dataset_builder.extraction import ExtractionConfig

    out = console(args)
    result = build_dataset(
        args.corpus, args.out, work_dir=args.work_dir, workers=args.workers, scheduler=args.scheduler,
        seed=args.seed, n_test=args.n_test, genre_id=None if args.all_genres else args.genre_id,
        max_songs=args.max_songs, retry_failed=args.retry_failed, progress=out.progress,
        config=ExtractionConfig(beat_tracker=args.beat_tracker),
    )
    per_hour = (result.processed_now / result.song_seconds * 3600
                if result.processed_now and result.song_seconds > 0 else None)
    summary: dict[str, Any] = {
        "out": args.out, "complete": result.complete, "songs_done": result.done, "songs_failed": result.failed,
        "songs_pending": result.pending, "songs_processed_now": result.processed_now, "seconds": result.seconds,
        "songs_per_hour": per_hour, "counts": None, "groups": None,
    }
    lines = [f"songs: {result.done} recorded ({result.failed} failed), {result.pending} pending; "
             f"{result.processed_now} processed this run{f' ({per_hour:.0f} songs/h)' if per_hour else ''}; "
             f"{result.seconds:.1f} s in all"]
    if result.run is not None:
        rate = result.run.steady_songs_per_hour
        out.detail(f"workers: {result.run.recorded} songs recorded, {result.run.cpu_seconds:.1f} CPU s"
                   + (f", {rate:.0f} songs/h after start-up" if rate else ""))
    if not result.complete:
        lines.append(f"stopped before release: re-run the same command to process the {result.pending} pending songs")
    else:
        assert result.info is not None  # a complete build wrote its release info
        counts = result.info["counts"]
        summary |= {"counts": counts["splits"], "groups": result.info["groups"],
                    "protocol_version": result.info["protocol_version"], "content_hash": result.info["content_hash"],
                    "dataset_fingerprint": result.info["dataset_fingerprint"]}
        for group, by_split in counts["groups"].items():
            out.detail(f"group {group}: " + ", ".join(f"{s} {c['pairs']} pairs" for s, c in by_split.items()))
        lines.append(f"wrote {args.out}: " + ", ".join(f"{s} {c['pairs']} pairs" for s, c in counts["splits"].items())
                     + f"; groups {', '.join(result.info['groups'])}; see {Path(args.out) / 'build_report.json'}")
    out.report("\n".join(lines), summary)
    return 0


def _publish(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.release.publish import publish

    out = console(args)
    result = publish(args.dataset, repo_id=args.repo_id, private=args.private, revision=args.revision,
                     dry_run=args.dry_run, groups=args.groups)
    plan = result.plan
    data = {"dry_run": args.dry_run, "dataset": args.dataset, "repo_id": plan.repo_id, "revision": plan.revision,
            "private": plan.private, "groups": plan.groups, "tag": plan.tag, "commit_message": plan.commit_message,
            "files": [{"path": name, "bytes": size} for name, size in plan.files], "total_bytes": plan.total_bytes,
            "url": result.url, "commit": result.commit, "tag_note": result.tag_note or None}
    if args.dry_run:
        out.report(plan.describe(), data)
        return 0
    warned = result.tag_note.startswith("warning:")
    if warned:
        print(result.tag_note, file=sys.stderr)
    text = f"uploaded {args.dataset} to {args.repo_id}: {result.url}"
    out.report(text if warned or not result.tag_note else f"{text}\n{result.tag_note}", data)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.release.stats import dataset_tables, stats, storage
    from nlc.loops.layout import SPLITS
    from nlc.loops.reader import open_dataset

    out = console(args)
    if not out.json:
        out.report(stats(args.dataset, verify=args.verify), None)
        return 0
    dataset = open_dataset(args.dataset, verify=args.verify)
    # Table 1's rows are the splits then the total, in this order (release.stats.table1).
    tables = {name: {split: dict(zip(_TABLE1_KEYS, (int(v) for v in row)))
                     for split, row in zip((*SPLITS, "total"), table.itertuples(index=False))}
              for name, table in dataset_tables(dataset).items()}
    out.report(None, {"dataset": args.dataset, "tables": tables, "storage": storage(dataset)})
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``dataset`` with its ``build``, ``publish`` and ``stats`` subcommands."""
    dataset = subparsers.add_parser("dataset", help="build, publish and describe the nlc-loops dataset")
    sub = dataset.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    build = sub.add_parser("build", help="extract loops from a corpus in parallel (Dask) and write nlc-loops/",
                           description="Parallel, resumable build: kill it any time and re-run to resume.")
    build.add_argument("corpus", type=Path, help="FMA-shaped corpus folder (fma_metadata/tracks.csv, fma_full/...)")
    build.add_argument("--out", type=Path, default=Path("nlc-loops"), metavar="DIR", help="dataset folder to write")
    build.add_argument("--work-dir", type=Path, default=None, metavar="DIR",
                       help="per-song records for resuming (default: OUT.work beside --out)")
    build.add_argument("--workers", type=int, default=2, metavar="N",
                       help="number of local Dask worker processes (one thread each)")
    build.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of a running dask.distributed scheduler, e.g. tcp://HOST:8786 "
                            "(workers must see the corpus at the same path); overrides --workers")
    build.add_argument("--seed", type=int, default=0, help="seed (an integer) of the splits and the frozen negatives")
    build.add_argument("--n-test", type=int, default=100, metavar="PAIRS",
                       help="number of test pairs, one per song (small corpora get songs_with_pairs // 5)")
    build.add_argument("--genre-id", type=int, default=21, metavar="ID",
                       help="FMA genre id required in genres_all (21: Hip-Hop)")
    build.add_argument("--all-genres", action="store_true", help="take every track, whatever its genre")
    build.add_argument("--max-songs", type=int, default=None, metavar="N",
                       help="process at most this many new songs, then stop without releasing (resume later; "
                            "default: all)")
    build.add_argument("--retry-failed", action="store_true", help="process again the songs recorded as failed")
    build.add_argument("--beat-tracker", choices=BEAT_TRACKERS, default=BEAT_TRACKERS[0], help=BEAT_TRACKER_HELP)
    add_json_option(build, help="print the build's figures (songs done, failed, pending, pairs per split) as one "
                                "JSON document on stdout instead of the summary lines")
    build.set_defaults(handler=_build)

    pub = sub.add_parser("publish", help="upload nlc-loops/ to the Hugging Face Hub",
                         description="Verifies the folder, uploads the chosen license groups and the frozen "
                                     "protocol, then tags the commit protocol-<protocol_version>. Token from "
                                     "HF_TOKEN or 'hf auth login'; never printed.")
    pub.add_argument("dataset", type=Path, help="dataset folder (nlc-loops/)")
    pub.add_argument("--repo-id", required=True, metavar="OWNER/NAME",
                     help="Hub dataset repository, e.g. my-org/nlc-loops")
    pub.add_argument("--groups", nargs="+", default=None, metavar="GROUP",
                     help="license groups to upload (default: every group of the build except the "
                          "no-derivatives ones, which are never published)")
    pub.add_argument("--private", action="store_true", help="create the repository private")
    pub.add_argument("--revision", default=None, metavar="BRANCH", help="branch to push to (default: the main branch)")
    pub.add_argument("--dry-run", action="store_true",
                     help="verify and list what would be uploaded, then stop (no token, no network)")
    add_json_option(pub, help="print the upload (files and sizes in bytes, groups, tag, commit URL) as one JSON "
                              "document on stdout instead of the text report")
    pub.set_defaults(handler=_publish)

    st = sub.add_parser("stats", help="print Table 1 (loops, pairs, songs per split) overall and per license group")
    st.add_argument("dataset", type=Path, help="dataset folder (nlc-loops/)")
    st.add_argument("--verify", action="store_true", help="check every shard's SHA-256 first")
    add_json_option(st, help="print the tables as one JSON document on stdout: "
                             "{group: {split: {loops, pairs, songs}}}, group 'all' for the whole dataset")
    st.set_defaults(handler=_stats)
