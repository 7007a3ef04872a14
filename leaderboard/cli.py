"""nlc-bench leaderboard init|submit|verify|render: keep a board of trusted results.

A board is a folder (board.json, submissions/, the rendered README.md and index.html).
Commands that take --board default to the user's board (see default_board), never to a
folder of the source tree: an installed nlc-bench has no source tree, and the boards
committed to the repository (leaderboard/board is the public FMA one) are named explicitly.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nlc.benchmark.cli import add_sandbox_options
from nlc.cli import add_json_option, console
from nlc.leaderboard.board import BOARD_ENV, default_board

def _board_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", type=Path, default=default_board(), metavar="DIR",
                        help=f"board folder (default: ${BOARD_ENV} if set, else $XDG_DATA_HOME/nlc-bench/board "
                             f"or ~/.local/share/nlc-bench/board; here {default_board()}); the repository's "
                             f"public FMA board is leaderboard/board")


def _config_data(board: Path, config: Any) -> dict[str, Any]:
    return {"board": board, **config.model_dump(mode="json"), "awaiting": config.awaiting}


def _init(args: argparse.Namespace) -> int:
    from nlc.leaderboard.board import init_board
    from nlc.leaderboard.render import render_board

    config = init_board(args.board, data=args.data, release=args.release, title=args.title)
    render_board(args.board)
    if config.awaiting:
        text = f"{args.board}: board for the {config.release} release, awaiting its dataset build"
    else:
        # a bound board records both (init_board sets them together)
        assert config.protocol_hash is not None and config.dataset_fingerprint is not None
        text = (f"{args.board}: board for the {config.release} release, protocol {config.protocol_version} "
                f"(hash {config.protocol_hash[:12]}, fingerprint {config.dataset_fingerprint[:12]})")
    console(args).report(text, _config_data(args.board, config))
    return 0


def _submit(args: argparse.Namespace) -> int:
    from nlc.benchmark.results import load_results
    from nlc.leaderboard.render import render_board
    from nlc.leaderboard.submit import submit_entry

    out = console(args)
    path = submit_entry(args.results, board=args.board, name=args.name, paper=args.paper, code=args.code,
                        replace=args.replace)
    if not args.no_render:
        render_board(args.board)
    data: dict[str, Any] = {"entry": path, "board": args.board, "name": args.name, "verified": False}
    if out.json or out.verbose:
        results = load_results(args.results, verify=False)  # submit_entry has just checked it
        data |= {"main_score": results.main_score, "metrics": results.metrics}
        out.detail(f"{args.name}: ROC-AUC {results.main_score:.3f}")
    out.report(f"{path}: entry added; verify it with `nlc-bench leaderboard verify {path} --model <model.py>`", data)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from nlc.leaderboard.render import render_board
    from nlc.leaderboard.verify import verify_entry

    out = console(args)
    record = verify_entry(args.entry, model=args.model, data=args.data, board=args.board,
                          timeout_s=args.timeout, memory_mb=args.memory_mb, max_processes=args.max_processes,
                          device=args.device)
    board = args.board if args.board is not None else Path(args.entry).parent.parent
    if not args.no_render:
        render_board(board)
    for field, value in record.model_dump(mode="json").items():
        out.detail(f"{field}: {value}")
    if record.status == "verified":
        text = (f"{args.entry}: verified ({record.n_scores} scores, max relative difference "
                f"{record.max_rel_diff:.3g}, {record.n_ranks} ranks identical, {record.wall_s:.1f} s; "
                f"sandboxed, network: {record.network})")
    else:
        text = f"{args.entry}: NOT verified: {record.reason}"
    out.report(text, {"entry": args.entry, "board": board, **record.model_dump(mode="json")})
    return 0 if record.status == "verified" else 1


def _render(args: argparse.Namespace) -> int:
    from nlc.leaderboard.board import load_board
    from nlc.leaderboard.entry import entry_files
    from nlc.leaderboard.render import render_board

    render_board(args.board)
    config = load_board(args.board)
    n_entries = len(entry_files(args.board))
    console(args).report(
        f"{args.board}: README.md and index.html written ({n_entries} entries)",
        {**_config_data(args.board, config), "entries": n_entries,
         "written": [Path(args.board) / "README.md", Path(args.board) / "index.html"]},
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``leaderboard`` and its four subcommands to the ``nlc-bench`` parser."""
    lb = subparsers.add_parser("leaderboard", help="keep a board of verified benchmark results", description=__doc__)
    sub = lb.add_subparsers(dest="leaderboard_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("init", help="create a board for one protocol release, or bind an awaiting one")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="nlc-loops/ folder whose protocol version, hash and fingerprint the board records "
                        "(omit to create a board awaiting its release)")
    _board_arg(p)
    p.add_argument("--release", default=None,
                   help="release name, e.g. fma, synthetic, lmms (default: the existing board's)")
    p.add_argument("--title", default=None,
                   help="heading of the rendered board (default: 'nlc-bench leaderboard: RELEASE release')")
    add_json_option(p, help="print the board's configuration (release, protocol hash, fingerprint, item counts) "
                            "as one JSON document on stdout")
    p.set_defaults(handler=_init)

    p = sub.add_parser("submit", help="check a results file and add it to a board")
    p.add_argument("results", help="results.json written by nlc-bench run")
    _board_arg(p)
    p.add_argument("--name", required=True, help="display name of the entry (its slug names the entry file)")
    p.add_argument("--paper", default=None, help="link to the paper (absolute http(s) URL)")
    p.add_argument("--code", default=None, help="link to the code (absolute http(s) URL)")
    p.add_argument("--replace", action="store_true", help="overwrite an existing entry of the same name")
    p.add_argument("--no-render", action="store_true", help="do not re-render README.md and index.html")
    add_json_option(p, help="print the new entry (file, main score, metrics) as one JSON document on stdout")
    p.set_defaults(handler=_submit)

    p = sub.add_parser("verify", help="re-run an entry's model sandboxed and mark it verified if reproduced")
    p.add_argument("entry", help="entry file, BOARD/submissions/SLUG.json")
    p.add_argument("--model", required=True, help="the submitted model file; its SHA-256 must match the entry's model.sha256")
    p.add_argument("--data", default="nlc-loops", metavar="DIR", help="the dataset build the board is bound to")
    p.add_argument("--board", type=Path, default=None, metavar="DIR",
                   help="board folder (default: the folder above the entry's submissions/)")
    add_sandbox_options(p, always=True)
    p.add_argument("--device", choices=("cpu", "cuda"), default=None,
                   help="device of the re-run (default: the submitted run's)")
    p.add_argument("--no-render", action="store_true", help="do not re-render the board afterwards")
    add_json_option(p, help="print the verification record (status, score differences, ranks, seconds) as "
                            "one JSON document on stdout")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("render", help="write the board's README.md and index.html")
    _board_arg(p)
    add_json_option(p, help="print the board's configuration and number of entries as one JSON document on stdout")
    p.set_defaults(handler=_render)
