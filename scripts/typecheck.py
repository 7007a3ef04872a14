"""Run mypy over the package exactly as it is installed: ``nlc`` plus each subsystem folder as ``nlc.<folder>``.

The subsystems live in top-level folders that setuptools maps into ``nlc`` through
``[tool.setuptools.package-dir]``; mypy reads folders, not that mapping. So this script lays
out the installed shape as a tree of symbolic links in a temporary folder (read from
``pyproject.toml``, so it never goes stale) and checks ``-p nlc`` there, with the settings of
``[tool.mypy]``. Exit status is mypy's. Usage: ``python scripts/typecheck.py [mypy options]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    with tempfile.TemporaryDirectory(prefix="nlc-typecheck-") as stage:
        package = Path(stage) / "nlc"
        package.mkdir()
        for entry in sorted((ROOT / mapping["nlc"]).iterdir()):
            if entry.name != "__pycache__":
                os.symlink(entry, package / entry.name)
        for name, folder in sorted(mapping.items()):
            if name != "nlc":
                os.symlink(ROOT / folder, package / name.removeprefix("nlc."))
        command = [sys.executable, "-m", "mypy", "-p", "nlc", "--config-file", str(ROOT / "pyproject.toml"),
                   "--cache-dir", str(ROOT / ".mypy_cache"), *sys.argv[1:]]
        return subprocess.run(command, cwd=stage).returncode


if __name__ == "__main__":
    sys.exit(main())
