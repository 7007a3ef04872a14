"""Add a checked result file to a board as a new entry.

``submit_entry`` is the Python API behind ``nlc-bench leaderboard submit`` (the demo calls
it for every baseline). A submission is refused unless the result file passes every check
of :func:`nlc.leaderboard.checks.check_results`; it is also refused when the board already
holds an entry of the same name (same slug) unless ``replace=True``, or an entry of the
same model file (SHA-256) with identical per-item outputs under another name (the same run
submitted twice; baselines sharing a submission file but not their weights differ in outputs).
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from nlc.benchmark.results import BenchmarkResults
from nlc.errors import InputError
from nlc.leaderboard.board import DEFAULT_BOARD, load_board
from nlc.leaderboard.checks import check_results_file, results_from_entry
from nlc.leaderboard.entry import (
    Entry, check_url, entry_files, entry_path, load_entry, results_digest, save_entry, slugify,
)


def outputs_digest(results: BenchmarkResults) -> str:
    """SHA-256 of a run's per-item outputs (classification scores, then ranking scores)."""
    digest = hashlib.sha256()
    for item in sorted(results.classification, key=lambda c: c.item_id):
        digest.update(item.item_id.encode() + np.float64(item.score).tobytes())
    for query in sorted(results.ranking, key=lambda q: q.query_id):
        digest.update(query.query_id.encode() + np.asarray(query.scores, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def submit_entry(
    results_path: str | os.PathLike[str],
    *,
    board: str | os.PathLike[str] = DEFAULT_BOARD,
    name: str,
    paper: str | None = None,
    code: str | None = None,
    replace: bool = False,
) -> Path:
    """Check a result file and add it to ``board`` as ``submissions/<slug>.json``.

    Parameters
    ----------
    results_path : path-like
        A result file written by ``nlc-bench run``.
    board : path-like, default ``leaderboard/board`` (the repository's FMA board)
        The board folder (must hold ``board.json``).
    name : str
        Display name; its slug (see :func:`~nlc.leaderboard.entry.slugify`) names the file.
    paper, code : str or None, default None
        Absolute http(s) links shown on the board.
    replace : bool, default False
        Overwrite an existing entry of the same name (its verification is dropped).

    Returns
    -------
    Path of the entry file written.

    Raises
    ------
    IntegrityError
        The results do not belong to the board or a figure is not earned (names the field).
    InputError
        Unreadable results, a bad link, or a duplicate entry.
    """
    board = Path(board)
    config = load_board(board)
    results = check_results_file(results_path, config)
    slug = slugify(name)
    target = entry_path(board, slug)
    if target.exists() and not replace:
        raise InputError(f"{target}: an entry named {name!r} exists; pass --replace to overwrite it")
    fresh = outputs_digest(results)
    for other in entry_files(board):
        if other == target:
            continue
        previous = load_entry(other)
        earlier = results_from_entry(previous, source=str(other))
        if earlier.model.sha256 == results.model.sha256 and outputs_digest(earlier) == fresh:
            raise InputError(f"{results_path}: this run (same model file, identical per-item outputs) is already "
                             f"on the board as {previous.name!r}")
    stored = results.model_dump(mode="json")
    paper, code = (None if url is None else check_url(url) for url in (paper, code))  # one line, not pydantic's report
    entry = Entry(
        name=name, slug=slug, paper=paper, code=code, submitted=_utc_now(),
        results_sha256=results_digest(stored), results=stored,
    )
    return save_entry(board, entry)
