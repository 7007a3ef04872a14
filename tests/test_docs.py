"""Figures that prose repeats from code stay true: documented defaults of functions and commands."""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from nlc.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
SUBSYSTEMS = ("benchmark", "dataset_builder", "baselines", "listening_test", "leaderboard")
_DOC_DEFAULT = re.compile(r"^\s*(\w+) : [^\n]*?,\s*default\s+(.+?)\s*$", re.M)  # numpydoc "name : type, default X"
_FLAG_DEFAULT = re.compile(r"`(--[a-z][a-z-]*)` \(([0-9][0-9_.]*)")  # docs: "`--batch-size` (64 pairs per call)"


def _modules() -> list[str]:
    names = []
    for top in ("nlc", *SUBSYSTEMS):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "submissions" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(["nlc", *parts[1:]] if top == "nlc" else ["nlc", *parts]))
    return names


def _functions(module):
    for obj in vars(module).values():
        members = [obj] + (list(vars(obj).values()) if inspect.isclass(obj) else [])
        for f in members:
            if inspect.isfunction(f) and f.__module__ == module.__name__ and f.__doc__:
                yield f


def test_documented_function_defaults_are_the_code_defaults():
    wrong, checked = [], 0
    for name in _modules():
        for f in _functions(importlib.import_module(name)):
            params = inspect.signature(f).parameters
            for param, text in _DOC_DEFAULT.findall(f.__doc__):
                if param not in params or params[param].default is inspect.Parameter.empty:
                    continue
                try:
                    documented = ast.literal_eval(text.strip("`"))
                except (ValueError, SyntaxError):
                    continue  # a default described in words or by name
                checked += 1
                if documented != params[param].default:
                    wrong.append(f"{name}.{f.__qualname__}: {param} documented {text}, is {params[param].default!r}")
    assert checked > 50 and not wrong, wrong


def _flag_defaults() -> dict[str, list[object]]:
    defaults: dict[str, list[object]] = {}

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)
            for flag in action.option_strings:
                defaults.setdefault(flag, []).append(action.default)

    walk(build_parser())
    return defaults


@pytest.mark.parametrize("doc", sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")]), ids=lambda p: p.name)
def test_documented_command_defaults_are_the_cli_defaults(doc):
    defaults = _flag_defaults()
    for flag, text in _FLAG_DEFAULT.findall(doc.read_text(encoding="utf-8")):
        assert flag in defaults, f"{doc.name}: documents {flag}, which no command has"
        assert ast.literal_eval(text.rstrip(".")) in defaults[flag], (
            f"{doc.name}: {flag} documented as {text}, the commands' defaults are {defaults[flag]}")
