"""Commands of the listening-test kit: stats and listening-test make|serve|export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, cast

from nlc.cli import add_json_option, console


def _stats(args: argparse.Namespace) -> int:
    import json

    from nlc.errors import InputError
    from nlc.listening_test.manifest import load_manifest
    from nlc.listening_test.report import analyse, to_markdown
    from nlc.listening_test.responses import read_csv, validate, with_systems

    systems = [s.strip() for s in args.systems.split(",") if s.strip()] if args.systems else None
    manifest = load_manifest(args.manifest) if args.manifest is not None else None
    notes: list[str] = []
    if args.format == "webmushra":
        from nlc.listening_test.webmushra import lms_to_long

        if manifest is None:
            raise InputError("--format webmushra needs --manifest (the manifest.json written by listening-test make)")
        frame = lms_to_long(args.responses, manifest, participant_column=args.participant_column, notes=notes)
    else:
        frame = with_systems(read_csv(args.responses, notes=notes), manifest, source=str(args.responses))
    allowed = systems or (manifest.systems if manifest is not None else None)
    responses = validate(frame, source=str(args.responses), systems=allowed, incomplete=args.incomplete)
    for note in notes:  # an encoding fallback, a dropped duplicate row
        print(f"warning: {note}", file=sys.stderr)
    result = analyse(responses, systems=systems)
    out = console(args)
    out.report(to_markdown(result), result)
    if args.json not in (False, True):  # --json FILE: the JSON goes to that file, the report to stdout
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        out.info(f"JSON written to {args.json}")
    if args.figure:
        from nlc.listening_test.figure import plot_figure4

        for path in plot_figure4(result, args.figure):
            out.info(f"figure written to {path}")
    return 0


def _register_stats(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats",
                       help="MOS, Cronbach's alpha and Wilcoxon tests of listening-test responses",
                       description="Analyse a listening test as in paper section 5.2: MOS with 95% CI per "
                       "system x question and per system x source type (matched), Cronbach's alpha, and "
                       "Wilcoxon signed-rank tests between every pair of systems (Holm-corrected, rank-biserial "
                       "effect size). Prints a markdown report.")
    p.add_argument("responses", type=Path, help="long-format CSV participant,group,source_type,clip,question,rating "
                   "as the questionnaire and listening-test export write it (or with a system column instead of "
                   "clip; or webMUSHRA's lms.csv with --format webmushra); UTF-8, else read as Windows-1252 with a "
                   "warning")
    p.add_argument("--format", choices=("long", "webmushra"), default="long", help="input format")
    p.add_argument("--manifest", type=Path, default=None,
                   help="manifest.json (or its folder) of the stimuli, the answer key mapping clips to systems; "
                   "needed for clip ids and for --format webmushra")
    p.add_argument("--participant-column", default=None, metavar="COLUMN",
                   help="webMUSHRA column identifying participants (default: session_uuid, participant or uuid "
                   "if present, else session blocks)")
    p.add_argument("--systems", default=None, metavar="A,B,...",
                   help="comma-separated list of allowed systems, also their order in tables and figure "
                   "(default: any system, sorted by name)")
    p.add_argument("--incomplete", choices=("drop", "keep"), default="drop",
                   help="rule for participants with missing answers: drop them from every statistic, or keep "
                   "the answers they gave")
    add_json_option(p, file=True, help="print every number (NaN as null, package versions) as one JSON document "
                                       "on stdout instead of the markdown report")
    p.add_argument("--figure", type=Path, default=None, metavar="PREFIX",
                   help="write the Figure-4 layout to PREFIX.png and PREFIX.svg")
    p.set_defaults(handler=_stats)


def _make(args: argparse.Namespace) -> int:
    from nlc.listening_test.stimuli import load_system, make_stimuli

    systems = []
    for item in args.results:
        name, sep, path = item.partition("=")
        systems.append(load_system(path, name=name) if sep else load_system(item))
    manifest = make_stimuli(args.data, systems, args.out, include_original=args.include_original,
                            groups_per_type=args.groups_per_type, repetitions=args.repetitions, seed=args.seed,
                            fmt=args.format, webmushra_prefix=args.webmushra_prefix)
    n_clips = sum(len(g.clips) for g in manifest.groups)
    questionnaire = Path(args.out) / "questionnaire" / "index.html"
    for note in manifest.notes:
        print(f"note: {note}", file=sys.stderr)
    lines = [f"{len(manifest.groups)} groups x {len(manifest.systems)} systems = {n_clips} clips in {args.out}"]
    lines += [f"  {g.group}: {g.source_type} source {g.source_id} ({g.source_role})" for g in manifest.groups]
    lines.append(f"questionnaire: {questionnaire} (keep manifest.json private)")
    groups: list[dict[str, Any]] = [{"group": g.group, "source_type": g.source_type, "source_id": g.source_id,
                                     "source_role": g.source_role, "clips": len(g.clips)} for g in manifest.groups]
    console(args).report("\n".join(lines), {
        "out": args.out, "systems": list(manifest.systems), "n_groups": len(manifest.groups), "n_clips": n_clips,
        "groups": groups, "questionnaire": questionnaire, "notes": list(manifest.notes)})
    return 0


def _serve(args: argparse.Namespace) -> int:
    from nlc.listening_test.server import make_server

    server = make_server(args.stimuli, args.db, host=args.host, port=args.port)
    host, port = cast("tuple[str, int]", server.server_address[:2])  # getsockname() of an AF_INET socket
    print(f"serving http://{host}:{port}/questionnaire/index.html ; answers -> {args.db} "
          f"; export: http://{host}:{port}/api/export.csv (Ctrl-C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C is the documented way to stop serving; answers are already committed
    finally:
        server.server_close()
    return 0


def _export(args: argparse.Namespace) -> int:
    from nlc.errors import InputError
    from nlc.listening_test import store

    if not Path(args.db).is_file():
        raise InputError(f"{args.db}: no such database")
    conn = store.connect(args.db)
    try:
        text = store.export_csv(conn)
    finally:
        conn.close()
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        console(args).info(f"{text.count(chr(10)) - 1} answers written to {args.out}")
    return 0


def _register_listening_test(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("listening-test",
                           help="make blind test clips, serve the questionnaire, export its answers")
    lt = group.add_subparsers(dest="listening_command", metavar="ACTION", required=True)

    make = lt.add_parser("make", help="mix each system's top pick with chosen source loops",
                         description="For source loops drawn per type (drum, vocal, melody) from the ranking "
                         "protocol, mix each system's top-ranked target among the 99 others (and, with "
                         "--include-original, the true target) with the source; write the clips grouped by "
                         "source, a private manifest and the questionnaire page.")
    make.add_argument("--data", type=Path, required=True, help="the nlc-loops/ folder the systems were scored on")
    make.add_argument("--results", nargs="+", default=[], metavar="[NAME=]RESULTS.json",
                      help="benchmark results files; the system is named after the model unless NAME= is given")
    make.add_argument("--include-original", action="store_true", help="add 'original' (the true target) as a system")
    make.add_argument("--out", type=Path, required=True, help="output folder")
    make.add_argument("--groups-per-type", type=int, default=2, metavar="N",
                      help="number of source loops (groups) drawn per source type")
    make.add_argument("--repetitions", type=int, choices=(2, 4), default=2,
                      help="times the loop pair repeats in a clip (2 s per repetition)")
    make.add_argument("--seed", type=int, default=0, help="seed (an integer) of the group draw and the clip numbering")
    make.add_argument("--format", choices=("native", "webmushra"), default="native",
                      help="webmushra: also write one webMUSHRA config per group in OUT/webmushra/")
    make.add_argument("--webmushra-prefix", default="configs/resources/nlc_listening",
                      help="path of OUT inside the webMUSHRA folder, used for the audio paths of the configs")
    add_json_option(make, help="print the clips made (groups, systems, clip counts) as one JSON document on stdout")
    make.set_defaults(handler=_make)

    serve = lt.add_parser("serve", help="host the questionnaire and store answers in SQLite")
    serve.add_argument("stimuli", type=Path, help="folder written by listening-test make")
    serve.add_argument("--db", type=Path, default=Path("responses.sqlite"), help="SQLite database (WAL mode)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind; 0.0.0.0 exposes it to the network")
    serve.add_argument("--port", type=int, default=8000, help="TCP port number (0: any free port)")
    serve.set_defaults(handler=_serve)

    export = lt.add_parser("export", help="write the stored answers as the CSV stats reads")
    export.add_argument("--db", type=Path, default=Path("responses.sqlite"), help="SQLite database of serve")
    export.add_argument("--out", type=Path, default=None, metavar="FILE", help="CSV file to write (default: stdout)")
    export.set_defaults(handler=_export)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add stats and listening-test to the nlc-bench command line."""
    _register_stats(subparsers)
    _register_listening_test(subparsers)
