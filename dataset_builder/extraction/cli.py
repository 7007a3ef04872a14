"""``nlc-bench extract SONG... --out DIR``: loop extraction from the command line.

Songs whose folder already exists in ``DIR`` are skipped (resume) unless ``--overwrite``;
a bad song is skipped with a one-line reason, recorded in ``DIR/extraction_report.json``.
Exit status: 0 when every song was extracted or already there, 1 when some were skipped.
"""

from __future__ import annotations

import argparse

from nlc.cli import add_json_option
from nlc.dataset_builder.extraction.config import BEAT_TRACKER_HELP, BEAT_TRACKERS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "extract",
        help="extract loops, loop layout and co-occurring loop pairs from songs (paper section 3.2)",
        description="Extract deduplicated 2-s loops, their bar layout and positive pairs from each song "
        "into DIR/<song>/ (loops/*.wav, layout.npy, pairs.csv, summary.json).",
    )
    p.add_argument("songs", nargs="+", metavar="SONG", help="audio files; the song id is the file name without extension")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (one sub-folder per song)")
    p.add_argument("--plot", action="store_true", help="also write DIR/<song>/extraction.png (layout and loop spectrograms)")
    p.add_argument("--overwrite", action="store_true", help="re-extract songs whose folder already exists")
    p.add_argument("--variant", choices=("default", "paper"), default="default",
                   help="'paper': Smith's rank rule, plain Tucker, l2 bars (the paper-comparable pipeline); "
                   "'default': the variant measured best (docs/extraction.md)")
    p.add_argument("--seed", type=int, default=0, help="seed of the decomposition's random initialisation")
    p.add_argument("--n-iter", type=int, default=None, metavar="N",
                   help="decomposition iterations (default: the variant's)")
    p.add_argument("--beat-tracker", choices=BEAT_TRACKERS, default=BEAT_TRACKERS[0], help=BEAT_TRACKER_HELP)
    p.add_argument("--stretcher", choices=("rubberband", "librosa"), default="rubberband",
                   help="time-stretcher that brings each bar to 2.0 s")
    p.add_argument("--max-seconds", type=float, default=900.0, help="reject songs longer than this, in seconds")
    add_json_option(p, help="print the extraction report (loops and pairs per song, failures with reasons) "
                    "as one JSON document on stdout")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from tqdm import tqdm

    from nlc.cli import console

    from nlc.atomic import write_json
    from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
    from nlc.dataset_builder.extraction.pipeline import require_beat_tracker, single_threaded
    from nlc.errors import NLCError

    base = ExtractionConfig.paper() if args.variant == "paper" else ExtractionConfig()
    changes: dict[str, object] = {"seed": args.seed, "stretcher": args.stretcher, "max_seconds": args.max_seconds,
                                  "beat_tracker": args.beat_tracker}
    if args.n_iter is not None:
        changes["n_iter"] = args.n_iter
    config = base.replace(**changes)
    require_beat_tracker(config)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / "extraction_report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"done": {}, "failed": {}}
    failed = 0
    con = console(args)
    with single_threaded():
        for song in tqdm(args.songs, desc="extract", unit="song", disable=not con.progress):
            song_id = Path(song).stem
            if (out / song_id).is_dir() and not args.overwrite:
                continue
            try:
                summary = extract_song(song, out, song_id=song_id, config=config, plot=args.plot)
            except NLCError as exc:
                failed += 1
                report["failed"][song_id] = str(exc)
                report["done"].pop(song_id, None)
                con.warning(f"skip {song}: {exc}")
                continue
            report["failed"].pop(song_id, None)
            report["done"][song_id] = {"loops": len(summary["loops"]), "pairs": summary["n_pairs"]}
            con.detail(f"{song_id}: {len(summary['loops'])} loops, {summary['n_pairs']} pairs")
            write_json(report_path, report, sort_keys=False)
    write_json(report_path, report, sort_keys=False)
    con.report(f"extracted {len(report['done'])} songs into {out}, {failed} skipped this run",
               {**report, "out": str(out), "skipped_this_run": failed})
    return 1 if failed else 0
