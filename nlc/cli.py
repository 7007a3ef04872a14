"""The ``nlc-bench`` command line.

Each subsystem owns its commands in its own ``cli.py`` with a ``register(subparsers)``
function; this module only assembles them, so ``nlc-bench --help`` lists exactly the
commands that exist. Subsystem CLIs import their heavy dependencies inside the handlers,
which keeps ``--help`` fast. Every :class:`~nlc.errors.NLCError` becomes one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from nlc import __version__
from nlc.errors import NLCError

# Subsystem CLI modules, in pipeline order (the order of `nlc-bench --help`).
SUBSYSTEM_CLIS: tuple[str, ...] = (
    "nlc.dataset_builder.cli",
    "nlc.baselines.cli",
    "nlc.benchmark.cli",
    "nlc.listening_test.cli",
    "nlc.leaderboard.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nlc-bench",
        description="Music loop compatibility: build the nlc-loops dataset, train baselines, "
        "score models on the frozen protocol, analyse listening tests, keep the leaderboard.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in SUBSYSTEM_CLIS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # subsystem without commands yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except NLCError as exc:
        print(f"nlc-bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nlc-bench: interrupted; finished work is kept, re-run to resume", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
