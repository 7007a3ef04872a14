"""Commands of the listening-test kit: ``stats`` and ``listening-test make|serve|export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATTER = argparse.ArgumentDefaultsHelpFormatter


def _stats(args: argparse.Namespace) -> int:
    import json

    from nlc.errors import InputError
    from nlc.listening_test.report import analyse, to_markdown
    from nlc.listening_test.responses import read_csv, validate

    systems = [s.strip() for s in args.systems.split(",") if s.strip()] if args.systems else None
    if args.format == "webmushra":
        from nlc.listening_test.manifest import load_manifest
        from nlc.listening_test.webmushra import lms_to_long

        if args.manifest is None:
            raise InputError("--format webmushra needs --manifest (the manifest.json written by listening-test make)")
        frame = lms_to_long(args.responses, load_manifest(args.manifest), participant_column=args.participant_column)
    else:
        frame = read_csv(args.responses)
    responses = validate(frame, source=str(args.responses), systems=systems, incomplete=args.incomplete)
    result = analyse(responses, systems=systems)
    print(to_markdown(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"JSON written to {args.json}", file=sys.stderr)
    if args.figure:
        from nlc.listening_test.figure import plot_figure4

        for path in plot_figure4(result, args.figure):
            print(f"figure written to {path}", file=sys.stderr)
    return 0


def _register_stats(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", formatter_class=FORMATTER,
                       help="MOS, Cronbach's alpha and Wilcoxon tests of listening-test responses",
                       description="Analyse a listening test as in paper section 5.2: MOS with 95% CI per "
                       "system x question and per system x source type (matched), Cronbach's alpha, and "
                       "Wilcoxon signed-rank tests between every pair of systems (Holm-corrected, rank-biserial "
                       "effect size). Prints a markdown report.")
    p.add_argument("responses", type=Path, help="long-format CSV participant,group,source_type,system,question,rating "
                   "(or webMUSHRA's lms.csv with --format webmushra)")
    p.add_argument("--format", choices=("long", "webmushra"), default="long", help="input format")
    p.add_argument("--manifest", type=Path, default=None,
                   help="manifest.json (or its folder) of the stimuli; needed for --format webmushra")
    p.add_argument("--participant-column", default=None,
                   help="webMUSHRA column identifying participants; when absent: session_uuid, participant or uuid "
                   "if present, else session blocks")
    p.add_argument("--systems", default=None,
                   help="comma-separated list of allowed systems, also their order in tables and figure "
                   "(when absent: any system, sorted by name)")
    p.add_argument("--incomplete", choices=("drop", "keep"), default="drop",
                   help="rule for participants with missing answers: drop them from every statistic, or keep "
                   "the answers they gave")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write every number as JSON")
    p.add_argument("--figure", type=Path, default=None, metavar="PREFIX",
                   help="write the Figure-4 layout to PREFIX.png and PREFIX.svg")
    p.set_defaults(handler=_stats)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``stats`` and ``listening-test`` to the ``nlc-bench`` command line."""
    _register_stats(subparsers)
