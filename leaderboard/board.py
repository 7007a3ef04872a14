"""A board: one folder holding the leaderboard of one protocol release.

A board is bound to exactly one frozen protocol (its version, its content hash and the
fingerprint of the dataset it was frozen from). Numbers measured on another release are
not comparable, so :func:`nlc.leaderboard.submit.submit_entry` refuses them. Layout::

    BOARD/
      board.json              # BoardConfig: the release this board belongs to
      submissions/<slug>.json # one Entry per submission (see nlc.leaderboard.entry)
      README.md, index.html   # written by `nlc-bench leaderboard render`

A board may be created *awaiting* its release (``protocol_hash`` is null): it states which
release it is for (e.g. the FMA build) and accepts no entries until
``nlc-bench leaderboard init --data <that build> --board BOARD`` binds it.

Every write to a board (``init``, ``submit``, ``verify``'s record, ``render``) holds the
board's lock, :func:`board_lock` (``BOARD/.board.lock``, an OS file lock through
``filelock``), so two commands on one board never interleave their read-check-write steps.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, ValidationError

from nlc.atomic import write_json
from nlc.errors import InputError, IntegrityError

BOARD_FORMAT: int = 1
"""Version of the ``board.json`` layout written by this module."""
CONFIG_NAME: str = "board.json"
SUBMISSIONS_DIR: str = "submissions"
PUBLIC_BOARD: Path = Path(__file__).resolve().parent / "board"
"""The project's public board (the FMA release), committed as ``leaderboard/board/`` in the
source tree (a wheel does not ship it). Never a default: commands name their board, and
the CLI defaults to :func:`default_board`."""
BOARD_ENV = "NLC_BOARD"
"""Environment variable naming the default board folder."""


def default_board() -> Path:
    """The board used when --board is not given: ``$NLC_BOARD``, else the user's data folder.

    The user's data folder follows the XDG base-directory rule (what platformdirs does on
    Linux): ``$XDG_DATA_HOME/nlc-bench/board`` when ``XDG_DATA_HOME`` is an absolute path,
    else ``~/.local/share/nlc-bench/board``. Read when called, so the CLI's help shows the
    folder actually used.
    """
    named = os.environ.get(BOARD_ENV)
    if named:
        return Path(named).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else Path.home() / ".local" / "share"
    return base / "nlc-bench" / "board"
LOCK_NAME: str = ".board.lock"
"""The board's lock file (left in place between writers; ignored by git)."""
LOCK_TIMEOUT_S: float = 120.0
"""How long a writer waits for another writer of the same board before giving up."""

_locks: dict[str, FileLock] = {}
_locks_guard = threading.Lock()


@contextmanager
def board_lock(board: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the board's exclusive lock: other processes and threads wait, up to :data:`LOCK_TIMEOUT_S`.

    Reentrant within one thread (a write that holds it may call another that takes it).
    The board folder must exist.

    Raises
    ------
    InputError
        If the folder does not exist, or another writer held the lock for the whole timeout.
    """
    board = Path(board)
    if not board.is_dir():
        raise InputError(f"{board}: no such board folder")
    path = str((board / LOCK_NAME).resolve())
    with _locks_guard:  # one FileLock per lock file and process: its count and descriptor are per thread
        lock = _locks.setdefault(path, FileLock(path, thread_local=True))
    try:
        lock.acquire(timeout=LOCK_TIMEOUT_S)
    except Timeout:
        raise InputError(f"{path}: another command has been writing this board for over "
                         f"{LOCK_TIMEOUT_S:g} s; try again when it is done") from None
    try:
        yield
    finally:
        lock.release()


class BoardConfig(BaseModel):
    """Content of ``board.json``: which protocol release a board belongs to.

    ``protocol_hash`` and ``dataset_fingerprint`` are null while the board awaits its
    release; ``results_schema_version`` is the :mod:`nlc.benchmark.results` schema the
    board accepts (fixed when it is bound); ``counts`` are the protocol's item counts.
    """

    model_config = ConfigDict(extra="forbid")

    board_format: int = BOARD_FORMAT
    title: str
    release: str
    protocol_version: str | None = None
    protocol_hash: str | None = None
    dataset_fingerprint: str | None = None
    items_sha256: str | None = None
    results_schema_version: str | None = None
    counts: dict[str, int] = {}
    created: str
    bound: str | None = None
    note: str = ""

    @property
    def awaiting(self) -> bool:
        """True while no dataset build has been bound to the board."""
        return self.protocol_hash is None


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")



def load_board(board: str | os.PathLike[str]) -> BoardConfig:
    """Read and validate ``BOARD/board.json``.

    Raises
    ------
    InputError
        If the folder has no ``board.json`` or it is malformed (naming the field).
    """
    path = Path(board) / CONFIG_NAME
    if not path.is_file():
        raise InputError(f"{path}: no board config; create it with `nlc-bench leaderboard init --board {board}`")
    try:
        config = BoardConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InputError(f"{path}: field {field!r}: {err['msg']}") from exc
    if config.board_format != BOARD_FORMAT:
        raise InputError(f"{path}: board_format {config.board_format} is not the supported {BOARD_FORMAT}")
    return config


def _dataset_release(data: Path) -> dict[str, Any]:
    """Protocol identity of a dataset build, read through the dataset reader (hash-checked)."""
    from nlc.loops.reader import open_dataset
    from nlc.leaderboard.items import protocol_items_digest

    dataset = open_dataset(data)
    info = dataset.info
    counts = getattr(info, "counts", None) or {}
    return {
        "protocol_version": str(info.protocol_version),
        "protocol_hash": str(info.content_hash),
        "dataset_fingerprint": str(info.dataset_fingerprint),
        "items_sha256": protocol_items_digest(dataset.classification(), dataset.ranking()),
        "counts": {str(k): int(v) for k, v in dict(counts).items() if isinstance(v, int)},
    }


def init_board(
    board: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] | None = None,
    release: str | None = None,
    title: str | None = None,
) -> BoardConfig:
    """Create a board, or bind an awaiting board to a dataset build.

    Parameters
    ----------
    board : path-like
        Board folder (created if missing, with an empty ``submissions/``).
    data : path-like or None, default None
        A built ``nlc-loops/`` folder. Its protocol version, hash and dataset fingerprint
        are recorded. None creates a board *awaiting* its release (no entries accepted).
    release : str or None, default None
        Release name (``fma``, ``synthetic``, ``lmms``...); required for a new board,
        default: the existing config's. A dataset does not record which corpus it was
        built from reliably, so binding the right build is the maintainer's call.
    title : str or None, default None
        Heading of the rendered board. Default: ``"nlc-bench leaderboard: <release> release"``.

    Raises
    ------
    IntegrityError
        If the board is already bound to a different protocol release.
    InputError
        If neither ``data`` nor ``release`` (nor an existing config) names the release.
    """
    board = Path(board)
    fields: dict[str, Any] = {}
    if data is not None:  # read (and hash-checked) before the board is locked: it takes a while
        fields = _dataset_release(Path(data))
        from nlc.benchmark.results import SCHEMA_VERSION

        fields["results_schema_version"] = str(SCHEMA_VERSION)
    if not release and not (board / CONFIG_NAME).is_file():
        raise InputError(f"{board}: a new board needs a release name: pass --release (e.g. fma or synthetic)"
                         + ("; --data binds the dataset but does not name its release" if data is not None else ""))
    board.mkdir(parents=True, exist_ok=True)
    with board_lock(board):
        return _init_locked(board, fields, data is not None, release, title)


def _init_locked(board: Path, fields: dict[str, Any], bind: bool, release: str | None,
                 title: str | None) -> BoardConfig:
    """The read-check-write part of :func:`init_board`, run under the board's lock."""
    existing = load_board(board) if (board / CONFIG_NAME).is_file() else None
    if existing is not None and not existing.awaiting:
        same = {k: getattr(existing, k) for k in ("protocol_version", "protocol_hash", "dataset_fingerprint")}
        if not bind or any(fields[k] != v for k, v in same.items()):
            raise IntegrityError(
                f"{board / CONFIG_NAME}: board already bound to protocol {existing.protocol_version} "
                f"(hash {(existing.protocol_hash or '')[:12]}); a different release needs a new board"
            )
        return existing
    if existing is not None and release and release != existing.release:
        raise IntegrityError(f"{board / CONFIG_NAME}: board is for the {existing.release} release, not {release}")
    release = release or (existing.release if existing else None)
    if not release:
        raise InputError(f"{board}: a new board needs a release name: pass --release (e.g. fma or synthetic)")
    now = _now()
    config = BoardConfig(
        title=title or (existing.title if existing else f"nlc-bench leaderboard: {release} release"),
        release=release,
        created=existing.created if existing else now,
        bound=now if bind else None,
        note="" if bind else (
            f"No {release} build of nlc-loops is bound to this board yet. Once one exists, bind it with "
            f"`nlc-bench leaderboard init --data <that nlc-loops/> --board <this folder>`, then submit."
        ),
        **fields,
    )
    write_json(board / CONFIG_NAME, config.model_dump(mode="json"))
    (board / SUBMISSIONS_DIR).mkdir(parents=True, exist_ok=True)
    return config
