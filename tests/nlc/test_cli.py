"""The CLI: every listed command has help; user errors are one line and exit status 2."""

import subprocess
import sys

from nlc.cli import build_parser, main


def test_every_command_has_help(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices, "no commands registered"
    for name, command in sub.choices.items():
        text = command.format_help()
        assert name in text and len(text) > 80


def test_version():
    out = subprocess.run([sys.executable, "-m", "nlc.cli", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("nlc-bench ")


def test_user_error_is_one_line(tmp_path, capsys):
    # validate is the cheapest command that reads a user file; a missing file must not traceback.
    code = main(["validate", str(tmp_path / "missing.py")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "missing.py" in err
