"""``nlc-bench dataset build|publish|stats``: make, push and describe the ``nlc-loops/`` folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_FMT = argparse.ArgumentDefaultsHelpFormatter


def _build(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.build.builder import build_dataset

    result = build_dataset(
        args.corpus, args.out, work_dir=args.work_dir, workers=args.workers, scheduler=args.scheduler,
        seed=args.seed, n_test=args.n_test, genre_id=None if args.all_genres else args.genre_id,
        max_songs=args.max_songs, retry_failed=args.retry_failed, progress=not args.no_progress,
    )
    rate = (f" ({result.processed_now / result.song_seconds * 3600:.0f} songs/h)"
            if result.processed_now and result.song_seconds > 0 else "")
    print(f"songs: {result.done} recorded ({result.failed} failed), {result.pending} pending; "
          f"{result.processed_now} processed this run{rate}; {result.seconds:.1f} s in all")
    if not result.complete:
        print(f"stopped before release: re-run the same command to process the {result.pending} pending songs")
        return 0
    assert result.info is not None  # a complete build wrote its release info
    counts = result.info["counts"]["splits"]
    print(f"wrote {args.out}: " + ", ".join(f"{s} {c['pairs']} pairs" for s, c in counts.items())
          + f"; groups {', '.join(result.info['groups'])}; see {Path(args.out) / 'build_report.json'}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.release.publish import publish

    result = publish(args.dataset, repo_id=args.repo_id, private=args.private, revision=args.revision,
                     dry_run=args.dry_run)
    if args.dry_run:
        print(result.plan.describe())
        return 0
    print(f"uploaded {args.dataset} to {args.repo_id}: {result.url}")
    print(result.tag_note, file=sys.stderr if result.tag_note.startswith("warning:") else sys.stdout)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.release.stats import stats

    sys.stdout.write(stats(args.dataset, verify=args.verify) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``dataset`` with its ``build``, ``publish`` and ``stats`` subcommands."""
    dataset = subparsers.add_parser("dataset", help="build, publish and describe the nlc-loops dataset",
                                    formatter_class=_FMT)
    sub = dataset.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    build = sub.add_parser("build", formatter_class=_FMT,
                           help="extract loops from a corpus in parallel (Dask) and write nlc-loops/",
                           description="Parallel, resumable build: kill it any time and re-run to resume.")
    build.add_argument("corpus", type=Path, help="FMA-shaped corpus folder (fma_metadata/tracks.csv, fma_full/...)")
    build.add_argument("--out", type=Path, default=Path("nlc-loops"), help="dataset folder to write")
    build.add_argument("--work-dir", type=Path, default=None,
                       help="per-song records for resuming; None: <out>.work beside --out")
    build.add_argument("--workers", type=int, default=2, help="local Dask worker processes (one thread each)")
    build.add_argument("--scheduler", default=None,
                       help="address of a running dask.distributed scheduler, e.g. tcp://HOST:8786 "
                            "(workers must see the corpus at the same path); overrides --workers")
    build.add_argument("--seed", type=int, default=0, help="seed of the splits and the frozen negatives")
    build.add_argument("--n-test", type=int, default=100,
                       help="test pairs, one per song (small corpora get songs_with_pairs // 5)")
    build.add_argument("--genre-id", type=int, default=21, help="FMA genre id required in genres_all (21: Hip-Hop)")
    build.add_argument("--all-genres", action="store_true", help="take every track, whatever its genre")
    build.add_argument("--max-songs", type=int, default=None,
                       help="process at most this many new songs, then stop without releasing (resume later)")
    build.add_argument("--retry-failed", action="store_true", help="process again the songs recorded as failed")
    build.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    build.set_defaults(handler=_build)

    pub = sub.add_parser("publish", formatter_class=_FMT, help="upload nlc-loops/ to the Hugging Face Hub",
                         description="Verifies the folder, uploads it (upload_large_folder from 1 GiB where "
                                     "available), then tags the commit protocol-<protocol_version>. "
                                     "Token from HF_TOKEN or `hf auth login`; never printed.")
    pub.add_argument("dataset", type=Path, help="dataset folder (nlc-loops/)")
    pub.add_argument("--repo-id", required=True, help="Hub dataset repository OWNER/NAME, e.g. my-org/nlc-loops")
    pub.add_argument("--private", action="store_true", help="create the repository private")
    pub.add_argument("--revision", default=None, help="branch to push to (default: the main branch)")
    pub.add_argument("--dry-run", action="store_true",
                     help="verify and list what would be uploaded, then stop (no token, no network)")
    pub.set_defaults(handler=_publish)

    st = sub.add_parser("stats", formatter_class=_FMT,
                        help="print Table 1 (loops, pairs, songs per split) overall and per license group")
    st.add_argument("dataset", type=Path, help="dataset folder (nlc-loops/)")
    st.add_argument("--verify", action="store_true", help="check every shard's SHA-256 first")
    st.set_defaults(handler=_stats)
