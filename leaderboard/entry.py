"""Board entries: one JSON file per submission under ``BOARD/submissions/``.

An entry is the submitted benchmark results file, kept whole (every per-item score and
rank, so anyone can recompute the figures), plus who submitted it, links, the submission
time, and the record of a verification re-run if one was made. The file name is a slug of
the submission's name, so the same name always maps to the same file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from nlc.errors import InputError
from nlc.atomic import write_json
from nlc.leaderboard.board import SUBMISSIONS_DIR, board_lock

ENTRY_FORMAT: int = 1
"""Version of the entry file layout written by this module."""
MAX_SLUG_CHARS: int = 64


class Verification(BaseModel):
    """What a verification re-run (``nlc-bench leaderboard verify``) found.

    ``status`` is ``"verified"`` only if every per-item score agreed within
    ``|a - b| <= score_rtol * max(|a|, |b|) + score_atol``, every ranking rank and every
    classification decision was identical, and the model file hashed to the submitted
    ``model_sha256``; otherwise ``"failed"`` with a one-line ``reason``.
    """

    model_config = ConfigDict(extra="forbid")

    status: Literal["verified", "failed"]
    reason: str = ""
    checked: str
    model_sha256: str
    score_rtol: float
    score_atol: float
    n_scores: int = 0
    n_score_mismatches: int = 0
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    n_ranks: int = 0
    n_rank_mismatches: int = 0
    n_decision_mismatches: int = 0
    timeout_s: float
    memory_mb: int
    network: str
    device: str = "cpu"
    wall_s: float | None = None
    versions: dict[str, str] = {}


class Entry(BaseModel):
    """Content of ``submissions/<slug>.json``."""

    model_config = ConfigDict(extra="forbid")

    entry_format: int = ENTRY_FORMAT
    name: str
    slug: str
    paper: str | None = None
    code: str | None = None
    submitted: str
    results_sha256: str
    results: dict[str, Any]
    verification: Verification | None = None

    @field_validator("paper", "code")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            check_url(value)
        return value

    @property
    def verified(self) -> bool:
        return self.verification is not None and self.verification.status == "verified"


def check_url(url: str) -> str:
    """Accept only absolute http(s) URLs (they are rendered as links)."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in "<>\"' \n"):
        raise InputError(f"{url!r}: not an absolute http(s) URL")
    return url


def slugify(name: str) -> str:
    """Stable file name for a submission name: ASCII lower case, runs of other chars -> '-'.

    >>> slugify("CNN (reverse) — v2")
    'cnn-reverse-v2'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_SLUG_CHARS].strip("-")
    if not slug:
        raise InputError(f"name {name!r}: needs at least one ASCII letter or digit")
    return slug


def results_digest(results: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a results dict (sorted keys, no whitespace)."""
    canonical = json.dumps(results, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def entry_path(board: str | os.PathLike[str], slug: str) -> Path:
    return Path(board) / SUBMISSIONS_DIR / f"{slug}.json"


def load_entry(path: str | os.PathLike[str]) -> Entry:
    """Read and validate one entry file (structure only; see :func:`~nlc.leaderboard.checks.check_entry`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such entry file")
    try:
        return Entry.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InputError(f"{path}: field {field!r}: {err['msg']}") from exc


def save_entry(board: str | os.PathLike[str], entry: Entry) -> Path:
    """Write an entry to ``BOARD/submissions/<slug>.json`` atomically, holding the board's lock.

    It overwrites: a caller that must not (``submit`` without ``replace``) checks, under
    :func:`~nlc.leaderboard.board.board_lock` held around both, that the file is absent.
    """
    with board_lock(board):
        return write_json(entry_path(board, entry.slug), entry.model_dump(mode="json"))


def entry_files(board: str | os.PathLike[str]) -> list[Path]:
    """The board's entry files, sorted by name (other files such as ``.gitkeep`` are ignored)."""
    folder = Path(board) / SUBMISSIONS_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_entries(board: str | os.PathLike[str]) -> list[Entry]:
    """All entries of a board, sorted by file name."""
    return [load_entry(path) for path in entry_files(board)]
