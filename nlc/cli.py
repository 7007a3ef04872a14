"""The ``nlc-bench`` command line, and the one convention every command follows.

Each subsystem owns its commands in its own ``cli.py`` with a ``register(subparsers)``
function; this module assembles them, so ``nlc-bench --help`` lists exactly the commands
that exist. Subsystem CLIs import their heavy dependencies inside the handlers, which keeps
``--help`` fast. Every NLCError becomes one line on stderr and exit status 2.

The convention is defined here once, not per command, so that commands cannot drift apart:

* every command takes ``-q/--quiet`` (no progress bars or status lines: only results,
  warnings and errors) and ``-v/--verbose`` (more detail, e.g. one line per item); both are
  added by :func:`apply_convention` to every command after registration, and handlers read
  them through :class:`Console` (``console(args).progress`` is the only switch of progress bars);
* every command that prints figures takes ``--json`` (:func:`add_json_option`): then stdout
  carries exactly one JSON document (:func:`emit_json`) and everything else goes to stderr;
* every parser uses :class:`HelpFormatter`: a default is shown once, and never when it is
  None, a flag's False or already described in the help text; reST markup is stripped.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import math
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

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

OUTPUT_GROUP = "output options"
"""Title of the argument group holding -q, -v and --json in every command's help."""

_REST_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")   # :func:`x`, :class:`~a.b.C`, :py:mod:`m`
_REST_LITERAL = re.compile(r"``(.+?)``", re.S)                  # ``code``
_BACKTICKED = re.compile(r"`([^`]+)`")                          # `code` (markdown style)
_STATES_DEFAULT = re.compile(r"\bdefaults?( to\b|:)|%\(default\)", re.I)


def plain_text(text: str) -> str:
    """``text`` without reST or markdown code markup, for a terminal.

    Help texts and descriptions come partly from docstrings, which are written for Sphinx;
    on a terminal the backticks are noise. A role keeps only its target's last component
    when written with ``~`` (as Sphinx renders it) and the whole target otherwise.
    """
    def role(match: re.Match[str]) -> str:
        target = match.group(1)
        return target.rsplit(".", 1)[-1] if match.group(0).split("`", 1)[1].startswith("~") else target

    text = _REST_ROLE.sub(role, text)
    text = _REST_LITERAL.sub(r"\1", text)
    return _BACKTICKED.sub(r"\1", text)


class HelpFormatter(argparse.HelpFormatter):
    """The one help formatter of ``nlc-bench``: each default shown once, no markup.

    argparse's ArgumentDefaultsHelpFormatter appends ``(default: X)`` to every option,
    which printed ``(default: None)`` for options whose help already explains what unset
    means, ``(default: False)`` for every flag and a second ``(default: ...)`` after help
    texts that state their default. This one appends the default only when it carries
    information: not None, not a flag's False, and not already stated in the help text.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.help is argparse.SUPPRESS or _STATES_DEFAULT.search(text):
            return action.help
        default = action.default
        if (default is None or default is argparse.SUPPRESS or isinstance(default, bool) or action.nargs == 0
                or (not action.option_strings and action.nargs not in (argparse.OPTIONAL, argparse.ZERO_OR_MORE))):
            return action.help
        if isinstance(default, (list, tuple)):
            shown = " ".join(str(v) for v in default)
        else:
            shown = str(default)
        return f"{text} (default: {shown.replace('%', '%%')})".lstrip()

    def _split_lines(self, text: str, width: int) -> list[str]:
        # Paths and flags (~/.local/share/nlc-bench, --max-train-pairs) are never split at a hyphen.
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False)

    def _expand_help(self, action: argparse.Action) -> str:
        return plain_text(super()._expand_help(action))

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain_text(text))


def add_json_option(parser: argparse.ArgumentParser, *, help: str | None = None, file: bool = False) -> None:
    """Add ``--json`` to a command that prints figures.

    With ``--json`` the command prints one JSON document on stdout (through
    :meth:`Console.report`) and nothing else there; status lines and progress go to stderr.
    ``file=True`` also accepts ``--json FILE`` (write the JSON to FILE, print the human
    report as usual), for the one command that had that form before the convention.
    """
    group = _output_group(parser)
    what = help or "print the figures as one JSON document on stdout instead of the text report"
    if file:
        group.add_argument("--json", nargs="?", const=True, default=False, metavar="FILE",
                           help=f"{what}; with FILE, write the JSON there and print the text report as usual")
    else:
        group.add_argument("--json", action="store_true", help=what)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Add ``-q/--quiet`` and ``-v/--verbose`` (mutually exclusive) to one command.

    An older ``--quiet`` of the command is replaced (same meaning, same ``dest``); the
    former ``--no-progress`` stays accepted, hidden and with its old meaning (no progress
    bars, status lines kept), because tests written before the convention use it.
    """
    if "-q" in parser._option_string_actions:
        return
    for flag in ("--quiet", "--verbose", "--no-progress"):  # a command's own variant gives way to these
        if flag in parser._option_string_actions:
            parser._handle_conflict_resolve(None, [(flag, parser._option_string_actions[flag])])  # type: ignore[arg-type]
    exclusive = _output_group(parser).add_mutually_exclusive_group()
    exclusive.add_argument("-q", "--quiet", action="store_true",
                           help="no progress bars or status lines: only results, warnings and errors")
    exclusive.add_argument("-v", "--verbose", action="store_true",
                           help="more detail on stderr, e.g. one line per item or epoch")
    # The pre-convention spelling: no progress bars, status lines kept (unlike -q).
    parser.add_argument("--no-progress", dest="no_progress", action="store_true", help=argparse.SUPPRESS)


def _output_group(parser: argparse.ArgumentParser) -> Any:
    for group in parser._action_groups:
        if group.title == OUTPUT_GROUP:
            return group
    return parser.add_argument_group(OUTPUT_GROUP)


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return [sub for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for sub in dict.fromkeys(action.choices.values())]


def apply_convention(parser: argparse.ArgumentParser) -> None:
    """Give every parser below ``parser`` the one formatter, and every command -q/-v.

    Applied once to the assembled parser, so a subsystem cannot forget it and none defines
    its own variant; a command is a parser without subcommands.
    """
    parser.formatter_class = HelpFormatter
    children = _subparsers(parser)
    for child in children:
        apply_convention(child)
    if not children:
        add_common_options(parser)


@dataclass(frozen=True)
class Console:
    """Where a command's output goes, decided once from -q, -v and --json.

    Results go to stdout (text, or one JSON document with ``--json``); status lines,
    per-item detail and warnings go to stderr, so ``nlc-bench CMD --json | jq`` works.
    ``progress`` is what handlers pass to the library's ``progress=`` parameters: the one
    place where progress bars are switched.
    """

    quiet: bool = False
    verbose: bool = False
    json: bool = False
    no_progress: bool = False
    """The hidden, pre-convention ``--no-progress``: bars off, status lines on."""

    @property
    def progress(self) -> bool:
        """Show progress bars (on stderr): unless --quiet (or the old --no-progress)."""
        return not (self.quiet or self.no_progress)

    def info(self, line: str) -> None:
        """A status line on stderr (stages, files written); hidden by --quiet."""
        if not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def detail(self, line: str) -> None:
        """A detail line on stderr (one per item, epoch...); shown only with --verbose."""
        if self.verbose:
            print(line, file=sys.stderr, flush=True)

    def warning(self, line: str) -> None:
        """A warning on stderr; shown even with --quiet, since it may change what a result means."""
        print(f"warning: {line}", file=sys.stderr, flush=True)

    def report(self, text: str | None, data: Any) -> None:
        """The command's result: ``data`` as JSON with --json, else ``text`` (if any) on stdout."""
        if self.json:
            emit_json(data)
        elif text is not None:
            print(text, flush=True)


def console(args: argparse.Namespace) -> Console:
    """The :class:`Console` of a parsed command line (commands without --json never emit JSON)."""
    return Console(quiet=bool(getattr(args, "quiet", False)), verbose=bool(getattr(args, "verbose", False)),
                   json=getattr(args, "json", False) is True, no_progress=bool(getattr(args, "no_progress", False)))


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: NaN and infinities become null (strict JSON has neither).

    Accepts what results are made of: mappings, sequences, dataclasses, pydantic models,
    paths, numpy scalars and arrays.
    """
    if hasattr(value, "model_dump") and callable(value.model_dump):
        value = value.model_dump(mode="json")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def emit_json(data: Any, stream: IO[str] | None = None) -> None:
    """Print ``data`` as one indented, strict JSON document (the --json output of every command)."""
    out = sys.stdout if stream is None else stream
    out.write(json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    out.flush()


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at each record, so redirected or captured stderr works."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:  # logging's own rule: a failing handler must not break the program
            self.handleError(record)


def _configure_logging(verbose: bool) -> None:
    """Show the ``nlc`` loggers' records on stderr: warnings always, info with -v.

    Warnings stay visible under -q, as every other warning does (see :meth:`Console.warning`).
    """
    logger = logging.getLogger("nlc")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nlc-bench", formatter_class=HelpFormatter,
        description="Music loop compatibility: build the nlc-loops dataset, train baselines, "
        "score models on the frozen protocol, analyse listening tests, keep the leaderboard. "
        "Every command takes -q/--quiet and -v/--verbose; those that print figures take --json.",
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
    apply_convention(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(bool(getattr(args, "verbose", False)))
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
