"""Atomic writes: a file or a folder appears complete under its name, or not at all.

Every long job of nlc-bench (a dataset build, a training run, a benchmark run) may be killed
at any moment and is resumed by re-running it; resuming trusts that whatever exists is
whole. So nothing is ever written in place: it is written beside its destination under a
hidden temporary name in the same folder (same file system, so the final rename is atomic)
and renamed over the destination once complete. On any error, Ctrl-C included, the
temporary is removed and the destination is left as it was.

Files get the ordinary permissions of the user's umask (``tempfile.mkstemp`` would make
them owner-only), since datasets, results and boards are meant to be shared.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; whatever is written there replaces ``path``.

    For writers that want a file name rather than an open file (``soundfile``, ``torch.save``,
    ``numpy.save``, ``DataFrame.to_csv``). The parent folder is created if missing. On
    normal exit the temporary file is renamed over ``path``; on an exception it is deleted.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike[str], *, binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing, text (no newline translation) or
    ``binary``; on normal exit it replaces ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        if binary:
            with open(tmp, "wb") as handle:
                yield handle
        else:
            with open(tmp, "w", encoding=encoding, newline="") as handle:
                yield handle


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_open(path, binary=True) as handle:
        handle.write(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation); returns ``path``."""
    with atomic_open(path, encoding=encoding) as handle:
        handle.write(text)
    return Path(path)


def json_text(obj: Any, *, indent: int | None = 2, sort_keys: bool = True) -> str:
    """``obj`` as the JSON text :func:`write_json` writes (final newline included)."""
    return json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False) + "\n"


def write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2, sort_keys: bool = True) -> Path:
    """Write ``obj`` as UTF-8 JSON plus a final newline, atomically; by default indented and
    key-sorted, so the same object always gives the same bytes. Non-ASCII text (artists,
    titles, board names) is written as itself, not as ``\\u`` escapes."""
    return write_text(path, json_text(obj, indent=indent, sort_keys=sort_keys))


@contextmanager
def atomic_dir(path: str | os.PathLike[str], *, staging_parent: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder; on normal exit it replaces the folder ``path``.

    ``staging_parent`` (default: ``path``'s parent) must be on the same file system. An
    existing ``path`` is moved aside under a hidden name, the staging folder renamed into
    place and the old one deleted, so readers see the old folder or the new one, never a
    mixture. On an exception the staging folder is deleted and ``path`` is untouched.
    Files and folders in it get the ordinary permissions of the user's umask.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parent = Path(staging_parent) if staging_parent is not None else path.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield staging
        mask = _umask()
        for root, _dirs, files in os.walk(staging):
            os.chmod(root, 0o777 & ~mask)
            for name in files:
                os.chmod(os.path.join(root, name), 0o666 & ~mask)
        if path.exists():
            trash = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(path, trash)
            os.replace(staging, path)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
