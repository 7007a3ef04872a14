"""``nlc-bench corpus synth|lmms``: render the two ground-truth corpora.

Both write an FMA-shaped folder (``fma_metadata/tracks.csv``, ``fma_full/NNN/NNNNNN.wav``,
``ground_truth/NNNNNN/``) that ``nlc-bench dataset build`` reads like FMA itself.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from nlc.cli import add_json_option, console


def _summary(report: dict[str, Any]) -> str:
    """One line of counts: lists and tables of the report are counted, not listed."""
    return ", ".join(f"{k} {len(v) if isinstance(v, (list, dict)) else v}" for k, v in report.items())


def _synth(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.corpus.synth import build_synth_corpus

    out = console(args)
    report = build_synth_corpus(args.out, n_songs=args.songs, seed=args.seed, first_track_id=args.first_id,
                                workers=args.workers, progress=out.progress)
    lines = [_summary(report)] + [f"failed {tid}: {reason}" for tid, reason in report["failed"].items()]
    out.report("\n".join(lines), report)
    return 1 if report["failed"] else 0


def _lmms(args: argparse.Namespace) -> int:
    from nlc.dataset_builder.corpus.lmms_corpus import build_lmms_corpus

    if args.retry_stems and args.no_stems:
        from nlc.errors import InputError

        raise InputError("--retry-stems and --no-stems contradict each other")
    out = console(args)
    report = build_lmms_corpus(args.out, projects_dir=args.projects, timeout_s=args.timeout,
                               lmms=args.lmms, stems=not args.no_stems, retry_stems=args.retry_stems,
                               only_cc=args.only_cc, names=args.names, progress=out.progress)
    lines = [_summary(report)]
    lines += [f"rendered {name}: {seconds:.1f} s" for name, seconds in report["seconds_per_song"].items()]
    lines += [f"no stems {name}: {reason}" for name, reason in report["stems_missing"].items()]
    lines += [f"failed {name}: {reason}" for name, reason in report["failed"].items()]
    out.report("\n".join(lines), report)
    return 0 if report["n_finished"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    fmt = argparse.HelpFormatter  # nlc.cli gives every parser its one formatter
    corpus = subparsers.add_parser("corpus", help="render a ground-truth corpus (synthetic or lmms demos)",
                                   description="Render a corpus with ground truth into an FMA-shaped folder "
                                   "(fma_metadata/tracks.csv, fma_full/NNN/NNNNNN.wav, ground_truth/NNNNNN/) "
                                   "that 'nlc-bench dataset build' reads like FMA.", formatter_class=fmt)
    sub = corpus.add_subparsers(dest="corpus_command", metavar="CORPUS", required=True)

    synth = sub.add_parser("synth", formatter_class=fmt,
                           help="synthetic loop-based songs with exact loop layouts (pure Python, seeded)",
                           description="Render seeded synthetic loop-based songs (70-140 BPM, 4/4, 3-6 "
                           "one- or two-bar loops, 16-32 bars) with mix, stems and ground truth. "
                           "Re-running skips finished songs.")
    synth.add_argument("out", metavar="OUT", help="corpus folder to write (created if missing)")
    synth.add_argument("--songs", type=int, default=100, help="number of songs to render (songs)")
    synth.add_argument("--seed", type=int, default=0, help="corpus seed; same seed, identical files")
    synth.add_argument("--first-id", type=int, default=1, help="track id of the first song (6-digit ids)")
    synth.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="processes rendering songs at once (the files are the same for any number)")
    add_json_option(synth, help="print the corpus report (songs done, skipped, failed with reasons, seconds) "
                    "as one JSON document on stdout")
    synth.set_defaults(handler=_synth)

    lmms = sub.add_parser("lmms", formatter_class=fmt,
                          help="render the lmms demo/shortie projects into mix + per-track stems",
                          description="Render every .mmp/.mmpz project shipped by Debian's lmms-common "
                          "with the real lmms (headless) into a mix and one stem per track, with "
                          "FMA-shaped metadata. Failures are reported and skipped; a re-run renders "
                          "only what is missing. The mix (~20 s a song) is all 'dataset build' needs; "
                          "stems (one whole-song render per track) are ground truth for benches only: "
                          "when they fail or run past the limit the song keeps its mix and truth, "
                          "marked stems_missing. Track ids come from the full project list, so "
                          "subsets never renumber songs.")
    lmms.add_argument("out", metavar="OUT", help="corpus folder to write (created if missing)")
    lmms.add_argument("--projects", nargs="+", default=["/usr/share/lmms/projects/demos",
                                                        "/usr/share/lmms/projects/shorties"],
                      help="folders searched recursively for .mmp/.mmpz projects (or project files)")
    lmms.add_argument("--timeout", type=float, default=900.0,
                      help="per-song time limit in seconds (render + rendertracks together); a mix over it "
                      "is reported and skipped, stems over it are dropped (the song keeps its mix)")
    lmms.add_argument("--no-stems", action="store_true",
                      help="render only the mix of each song (truth keeps tempo and downbeats, marked stems_missing)")
    lmms.add_argument("--retry-stems", action="store_true",
                      help="render again the finished songs that have no stems")
    lmms.add_argument("--only-cc", action="store_true",
                      help="render only projects under a Creative Commons license (Debian's copyright "
                      "file), the only ones the dataset build keeps")
    lmms.add_argument("--names", nargs="+", default=None, metavar="PATTERN",
                      help="render only projects whose file name or stem matches a shell pattern, "
                      "e.g. 'Skiessi-*' (None: all)")
    lmms.add_argument("--lmms", default="lmms", help="lmms executable")
    add_json_option(lmms, help="print the render report (seconds per song, songs without stems, failures) "
                    "as one JSON document on stdout")
    lmms.set_defaults(handler=_lmms)
