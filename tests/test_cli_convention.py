"""One convention on every command of nlc-bench: -q/-v everywhere, --json where figures are
printed, clean help (each default once, no markup), the board outside the source tree."""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from nlc import cli
from nlc.cli import Console, build_parser, emit_json, main, plain_text

ROOT = Path(__file__).resolve().parents[1]

FIGURE_COMMANDS: tuple[str, ...] = (
    "dataset build", "dataset publish", "dataset stats", "train", "validate", "run", "compare", "results export",
    "reproduce", "stats", "listening-test make", "leaderboard init", "leaderboard submit", "leaderboard verify",
    "leaderboard render", "extract", "corpus synth", "corpus lmms",
)
"""Commands that print figures (counts, metrics, sizes, statistics): each must take --json."""

def commands(parser: argparse.ArgumentParser | None = None, path: tuple[str, ...] = ()):
    """(name, parser) of every command: a parser without subcommands."""
    parser = parser or build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from commands(sub, (*path, name))


def every_parser(parser: argparse.ArgumentParser | None = None):
    parser = parser or build_parser()
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from every_parser(sub)


COMMANDS = dict(commands())


def test_the_command_list_is_known():
    assert set(FIGURE_COMMANDS) <= set(COMMANDS)
    assert {"listening-test serve", "listening-test export"} <= set(COMMANDS)


@pytest.mark.parametrize("parser", list(every_parser()), ids=lambda p: p.prog)
def test_help_is_clean(parser):
    text = parser.format_help()
    assert "(default: None)" not in text and "(default: False)" not in text, text
    assert "`" not in text, text
    assert not re.search(r":(func|class|mod|meth|data|attr):", text), text
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            helped = parser._get_formatter()._expand_help(action)
            assert helped.count("(default:") <= 1 and helped.lower().count("default:") <= 1, (parser.prog, helped)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_takes_quiet_and_verbose(name):
    parser = COMMANDS[name]
    flags = set(parser._option_string_actions)
    assert {"-q", "--quiet", "-v", "--verbose"} <= flags
    assert parser._option_string_actions["-q"].dest == "quiet" and parser._option_string_actions["-v"].dest == "verbose"
    assert "-q, --quiet" in parser.format_help() and "-v, --verbose" in parser.format_help()


def test_quiet_and_verbose_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["dataset", "stats", "d", "-q", "-v"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_no_progress_is_kept_hidden_with_its_old_meaning():
    parser = build_parser()
    args = parser.parse_args(["run", "m.py", "--data", "d", "--out", "r.json", "--no-progress"])
    out = cli.console(args)
    assert out.progress is False and out.quiet is False  # bars off, stage lines kept
    assert "--no-progress" not in COMMANDS["run"].format_help()
    # a command's own --quiet (corpus synth had one) gives way to the common one: one option, not two
    assert [a.dest for a in COMMANDS["corpus synth"]._actions].count("quiet") == 1


@pytest.mark.parametrize("name", FIGURE_COMMANDS)
def test_every_command_that_prints_figures_takes_json(name):
    assert "--json" in COMMANDS[name]._option_string_actions


def test_numeric_options_have_help():
    missing = [f"{name} {a.option_strings[0]}" for name, p in COMMANDS.items() for a in p._actions
               if a.option_strings and a.type in (int, float) and not (a.help or "").strip()]
    assert not missing, missing


def test_each_default_is_shown_once():
    train = COMMANDS["train"].format_help()
    assert train.count("(default: 10)") == 1 and "default: 0.01 for sgd" in " ".join(train.split())
    assert "(default: cpu)" in train
    reproduce = " ".join(COMMANDS["reproduce"].format_help().split())
    assert "(default: random selected reverse shift rearrange)" in reproduce
    assert "95% confidence interval (default: 1000)" in " ".join(COMMANDS["run"].format_help().split())


def test_plain_text_strips_rest_and_markdown_code():
    assert plain_text("``nlc-bench run`` scores :func:`~nlc.benchmark.run.run_benchmark` "
                      "and :class:`nlc.sandbox.SandboxLimits`; `hf auth login`") == (
        "nlc-bench run scores run_benchmark and nlc.sandbox.SandboxLimits; hf auth login")


def test_long_words_are_not_split_at_hyphens():
    text = " ".join(COMMANDS["leaderboard render"].format_help().split("\n"))
    assert "~/.local/share/nlc-bench/board" in text


# ---- the console and --json ------------------------------------------------------------


@dataclass
class _Point:
    x: float
    where: Path


def test_emit_json_is_strict_json(capsys):
    emit_json({"nan": math.nan, "inf": -math.inf, "path": Path("a/b"), "tuple": (1, 2), "dc": _Point(1.5, Path("p"))})
    out = capsys.readouterr().out
    assert json.loads(out) == {"nan": None, "inf": None, "path": "a/b", "tuple": [1, 2], "dc": {"x": 1.5, "where": "p"}}
    assert "NaN" not in out and "Infinity" not in out


def test_console_routes_output(capsys):
    Console().report("text", {"a": 1})
    Console().info("status")
    Console().detail("hidden")
    captured = capsys.readouterr()
    assert captured.out == "text\n" and captured.err == "status\n"
    Console(quiet=True, json=True).report("text", {"a": 1})
    Console(quiet=True).info("status")
    Console(quiet=True).warning("kept")
    Console(verbose=True).detail("shown")
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"a": 1} and captured.err == "warning: kept\nshown\n"
    assert Console(quiet=True).progress is False and Console().progress is True


def test_console_from_arguments():
    args = build_parser().parse_args(["dataset", "stats", "d", "--json", "-q"])
    out = cli.console(args)
    assert out.json and out.quiet and not out.progress
    # stats' --json FILE form writes a file and keeps the text report on stdout
    assert not cli.console(build_parser().parse_args(["stats", "r.csv", "--json", "out.json"])).json
    assert cli.console(build_parser().parse_args(["stats", "r.csv", "--json"])).json


def test_dataset_stats_json(tiny_dataset, capsys):
    from nlc.loops.reader import open_dataset

    assert main(["dataset", "stats", str(tiny_dataset), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    info = open_dataset(tiny_dataset).info
    assert data["tables"]["all"]["total"] == {k: info.counts["splits"]["total"][k] for k in ("loops", "pairs", "songs")}
    assert set(data["tables"]) == {"all", *info.groups}
    assert data["storage"]["loops"] > 0
    assert main(["dataset", "stats", str(tiny_dataset)]) == 0
    assert "All license groups" in capsys.readouterr().out


def test_leaderboard_json_and_quiet(tiny_dataset, tmp_path, capsys):
    board = tmp_path / "board"
    assert main(["leaderboard", "init", "--data", str(tiny_dataset), "--board", str(board), "--release", "synthetic",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["release"] == "synthetic" and data["awaiting"] is False and data["board"] == str(board)
    assert main(["leaderboard", "render", "--board", str(board), "--json", "-q"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["entries"] == 0 and captured.err == ""


def test_results_commands_json(tmp_path, capsys):
    from nlc.benchmark import results as R
    from tests.benchmark.conftest import _make_results

    a = R.save_results(_make_results(seed=1), tmp_path / "a.json")
    b = R.save_results(_make_results(seed=2), tmp_path / "b.json")
    assert main(["compare", str(a), str(b), "--json", "--n-resamples", "50"]) == 0
    assert json.loads(capsys.readouterr().out)["a"] == "m"
    assert main(["results", "export", str(a), "--json"]) == 0
    index = json.loads(capsys.readouterr().out)["model-index"]
    assert index[0]["name"] == "m" and index[0]["results"]


def test_publish_passes_the_groups(tiny_dataset, monkeypatch, capsys):
    from nlc.dataset_builder.release import publish as publish_module

    seen = {}
    real = publish_module.publish

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(publish_module, "publish", spy)
    assert main(["dataset", "publish", str(tiny_dataset), "--repo-id", "org/nlc-loops", "--dry-run",
                 "--groups", "cc-by", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert seen["groups"] == ["cc-by"] and data["groups"] == ["cc-by"] and data["dry_run"] is True
    assert data["total_bytes"] == sum(f["bytes"] for f in data["files"])
    assert build_parser().parse_args(["dataset", "publish", "d", "--repo-id", "o/n"]).groups is None


# ---- the default board --------------------------------------------------------------------


def test_default_board_is_the_users_not_the_source_tree(monkeypatch, tmp_path):
    from nlc.leaderboard.cli import default_board

    monkeypatch.delenv("NLC_BOARD", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_board() == tmp_path / "data" / "nlc-bench" / "board"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the XDG rule: relative values are ignored
    assert default_board() == Path.home() / ".local" / "share" / "nlc-bench" / "board"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_board() == Path.home() / ".local" / "share" / "nlc-bench" / "board"
    monkeypatch.setenv("NLC_BOARD", str(tmp_path / "mine"))
    assert default_board() == tmp_path / "mine"
    for command in ("leaderboard init", "leaderboard submit", "leaderboard render"):
        board = COMMANDS[command]._option_string_actions["--board"].default  # built before the env change
        assert ROOT not in Path(board).resolve().parents
    args = build_parser().parse_args(["leaderboard", "render"])
    assert args.board == tmp_path / "mine"
    assert "NLC_BOARD" in COMMANDS["leaderboard render"].format_help()
