"""``nlc-bench leaderboard init|submit|verify|render``: keep a board of trusted results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nlc.benchmark.cli import add_sandbox_options

DEFAULT_BOARD = Path(__file__).resolve().parent / "board"  # = nlc.leaderboard.board.DEFAULT_BOARD


def _board_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default=str(DEFAULT_BOARD),
                        help="board folder; the default is the repository's public board for the FMA release")


def _init(args: argparse.Namespace) -> int:
    from nlc.leaderboard.board import init_board
    from nlc.leaderboard.render import render_board

    config = init_board(args.board, data=args.data, release=args.release, title=args.title)
    render_board(args.board)
    if config.awaiting:
        print(f"{args.board}: board for the {config.release} release, awaiting its dataset build")
    else:
        # a bound board records both (init_board sets them together)
        assert config.protocol_hash is not None and config.dataset_fingerprint is not None
        print(f"{args.board}: board for the {config.release} release, protocol {config.protocol_version} "
              f"(hash {config.protocol_hash[:12]}, fingerprint {config.dataset_fingerprint[:12]})")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from nlc.leaderboard.render import render_board
    from nlc.leaderboard.submit import submit_entry

    path = submit_entry(args.results, board=args.board, name=args.name, paper=args.paper, code=args.code,
                        replace=args.replace)
    if not args.no_render:
        render_board(args.board)
    print(f"{path}: entry added; verify it with `nlc-bench leaderboard verify {path} --model <model.py>`")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from nlc.leaderboard.render import render_board
    from nlc.leaderboard.verify import verify_entry

    record = verify_entry(args.entry, model=args.model, data=args.data, board=args.board,
                          timeout_s=args.timeout, memory_mb=args.memory_mb, max_processes=args.max_processes,
                          device=args.device)
    board = args.board if args.board is not None else Path(args.entry).parent.parent
    if not args.no_render:
        render_board(board)
    if record.status == "verified":
        print(f"{args.entry}: verified ({record.n_scores} scores, max relative difference "
              f"{record.max_rel_diff:.3g}, {record.n_ranks} ranks identical, {record.wall_s:.1f} s; "
              f"sandboxed, network: {record.network})")
        return 0
    print(f"{args.entry}: NOT verified: {record.reason}")
    return 1


def _render(args: argparse.Namespace) -> int:
    from nlc.leaderboard.render import render_board

    render_board(args.board)
    print(f"{args.board}: README.md and index.html written")
    return 0


def register(subparsers: Any) -> None:
    """Add ``leaderboard`` and its four subcommands to the ``nlc-bench`` parser."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    lb = subparsers.add_parser("leaderboard", help="keep a board of verified benchmark results",
                               description=__doc__, formatter_class=fmt)
    sub = lb.add_subparsers(dest="leaderboard_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("init", help="create a board for one protocol release, or bind an awaiting one",
                       formatter_class=fmt)
    p.add_argument("--data", default=None,
                   help="nlc-loops/ folder whose protocol version, hash and fingerprint the board records "
                        "(omit to create a board awaiting its release)")
    _board_arg(p)
    p.add_argument("--release", default=None,
                   help="release name, e.g. fma, synthetic, lmms; None keeps the existing board's")
    p.add_argument("--title", default=None, help="heading of the rendered board; None: 'nlc-bench leaderboard: <release> release'")
    p.set_defaults(handler=_init)

    p = sub.add_parser("submit", help="check a results file and add it to a board", formatter_class=fmt)
    p.add_argument("results", help="results.json written by `nlc-bench run`")
    _board_arg(p)
    p.add_argument("--name", required=True, help="display name of the entry (its slug names the entry file)")
    p.add_argument("--paper", default=None, help="link to the paper (absolute http(s) URL)")
    p.add_argument("--code", default=None, help="link to the code (absolute http(s) URL)")
    p.add_argument("--replace", action="store_true", help="overwrite an existing entry of the same name")
    p.add_argument("--no-render", action="store_true", help="do not re-render README.md and index.html")
    p.set_defaults(handler=_submit)

    p = sub.add_parser("verify", help="re-run an entry's model sandboxed and mark it verified if reproduced",
                       formatter_class=fmt)
    p.add_argument("entry", help="entry file, BOARD/submissions/<slug>.json")
    p.add_argument("--model", required=True, help="the submitted model file; its SHA-256 must match the entry's model.sha256")
    p.add_argument("--data", default="nlc-loops", help="the dataset build the board is bound to")
    p.add_argument("--board", default=None, help="board folder; None: the folder above the entry's submissions/")
    add_sandbox_options(p, always=True)
    p.add_argument("--device", choices=("cpu", "cuda"), default=None,
                   help="device of the re-run; None: the submitted run's")
    p.add_argument("--no-render", action="store_true", help="do not re-render the board afterwards")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("render", help="write the board's README.md and index.html", formatter_class=fmt)
    _board_arg(p)
    p.set_defaults(handler=_render)
