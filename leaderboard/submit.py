"""Add a checked result file to a board as a new entry.

``submit_entry`` is the Python API behind ``nlc-bench leaderboard submit`` (the demo calls
it for every baseline). A submission is refused unless the result file passes every check
of :func:`nlc.leaderboard.checks.check_results`; it is also refused when the board already
holds an entry of the same name (same slug) unless ``replace=True``, or an entry of the
same model file (SHA-256) under another name whose per-item outputs agree with the new ones
within the verification tolerance (:func:`nlc.leaderboard.agreement.compare_outputs`: the
same run, reproduced or resubmitted with scores nudged; baselines sharing a submission file
but not their weights differ in outputs). Both checks and the write happen under the board's
lock (:func:`nlc.leaderboard.board.board_lock`), so concurrent submissions cannot both pass them.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from nlc.benchmark.results import BenchmarkResults
from nlc.errors import InputError
from nlc.leaderboard.agreement import compare_outputs
from nlc.leaderboard.board import board_lock, load_board
from nlc.leaderboard.checks import check_results_file, results_from_entry
from nlc.leaderboard.entry import (
    Entry, check_url, entry_files, entry_path, load_entry, results_digest, save_entry, slugify,
)


def find_same_run(board: str | os.PathLike[str], results: BenchmarkResults, *,
                  skip: Path | None = None) -> tuple[Path, Entry] | None:
    """The first entry (file order) whose run ``results`` repeats, or None.

    A repeat has the same model file (``model.sha256``) and per-item outputs that agree
    within the verification tolerance (:func:`~nlc.leaderboard.agreement.compare_outputs`
    with its defaults: same items, scores within SCORE_RTOL/SCORE_ATOL, identical ranks and
    decisions). ``skip`` is an entry file left out (the one being replaced). An unreadable
    entry raises InputError naming it rather than being passed over. Call it under the
    board's lock, or an entry written meanwhile is missed.
    """
    for other in entry_files(board):
        if skip is not None and other.name == skip.name:
            continue
        previous = load_entry(other)
        earlier = results_from_entry(previous, source=str(other))
        if earlier.model.sha256 == results.model.sha256 and compare_outputs(earlier, results).reproduced:
            return other, previous
    return None


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def submit_entry(
    results_path: str | os.PathLike[str],
    *,
    board: str | os.PathLike[str],
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
        Unreadable results, a bad link, a duplicate entry (naming it), or a board that
        another command kept locked for :data:`~nlc.leaderboard.board.LOCK_TIMEOUT_S`.
    """
    board = Path(board)
    config = load_board(board)
    results = check_results_file(results_path, config)  # the slow part, before the board is locked
    slug = slugify(name)
    target = entry_path(board, slug)
    stored = results.model_dump(mode="json")
    paper, code = (None if url is None else check_url(url) for url in (paper, code))  # one line, not pydantic's report
    with board_lock(board):  # checks and write as one step: a concurrent submit sees this entry or waits
        if target.exists() and not replace:
            try:
                held = load_entry(target).name
            except InputError:
                held = slug
            raise InputError(f"{target}: an entry named {held!r} exists; pass --replace to overwrite it")
        same = find_same_run(board, results, skip=target)
        if same is not None:
            raise InputError(f"{results_path}: this run (same model file, per-item outputs equal within the "
                             f"verification tolerance) is already on the board as {same[1].name!r} ({same[0]})")
        entry = Entry(
            name=name, slug=slug, paper=paper, code=code, submitted=_utc_now(),
            results_sha256=results_digest(stored), results=stored,
        )
        return save_entry(board, entry)
