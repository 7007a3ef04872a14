"""Provenance records: which versions produced a result.

Same seed, same numbers; and every result file says which code produced it, so that a
number can be traced back to the package versions it came from.
"""

from __future__ import annotations

import hashlib
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
