"""Provenance records: which versions produced a result.

Same seed, same numbers; and every result file says which code produced it, so that a
number can be traced back to the package versions it came from.
"""

from __future__ import annotations

import hashlib
import importlib
import json
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


def folder_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a folder's contents: every file below it, by relative path.

    Deterministic and independent of the machine, the folder's own location and file
    times. Walks ``path`` recursively, skipping ``__pycache__`` and hidden names (starting
    with ``.``, files and folders alike). A regular file counts its bytes; a symbolic link
    (to a file or a folder) counts its target string as written and is never followed;
    anything else (sockets, pipes) is skipped. The digest is the SHA-256 of the manifest of
    these entries sorted by relative POSIX path, one JSON line each:
    ``["file", PATH, SHA256_OF_BYTES]`` or ``["link", PATH, TARGET]``. An empty folder has
    the digest of the empty manifest.

    Raises
    ------
    NotADirectoryError
        If ``path`` is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    entries: list[tuple[str, str, str]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in [*dirs, *files]:
            if name.startswith(".") or name == "__pycache__":
                continue
            full = here / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                entries.append((rel, "link", os.readlink(full)))
            elif name in files and full.is_file():
                entries.append((rel, "file", file_sha256(full)))
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    digest = hashlib.sha256()
    for rel, kind, value in sorted(entries):
        digest.update((json.dumps([kind, rel, value]) + "\n").encode("utf-8"))
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
