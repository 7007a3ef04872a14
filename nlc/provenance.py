"""Provenance records: which versions produced a result.

Same seed, same numbers; and every result file says which code produced it, so that a
number can be traced back to the package versions it came from.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import platform
from importlib import metadata
from pathlib import Path

TRACKED_PACKAGES: tuple[str, ...] = (
    "nlc-bench", "numpy", "scipy", "librosa", "torch", "tensorly", "imagehash",
    "datasets", "pandas", "pyarrow", "pingouin", "soundfile",
)


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed version of each named distribution ("not installed" when absent)."""
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def source_fingerprint(modules: tuple[str, ...]) -> str:
    """Hex SHA-256 of the Python source of ``modules`` (a package counts all its ``.py`` files).

    Versions do not change with every edit of a development tree; this does. A build that
    caches per-song results keys them on it, so records made by other code are never mixed
    with new ones. The digest covers each file's path relative to its package and its bytes,
    in sorted order, so it is the same on every machine holding the same code.
    """
    digest = hashlib.sha256()
    for name in sorted(modules):
        module = importlib.import_module(name)
        origin = Path(module.__file__ or "")
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for path in files:
            digest.update(f"{name}:{path.relative_to(origin.parent).as_posix()}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
