"""What a result file must satisfy to stand on a board.

:func:`check_results` is run by ``submit`` on every new results file and by the test
suite on every committed entry, so CI rejects a hand-edited entry just as ``submit``
would. In order, it refuses:

1. a board still awaiting its release (no protocol bound);
2. a ``schema_version`` other than the board's;
3. a protocol version, protocol hash or dataset fingerprint other than the board's;
4. item counts, or the set of items and labels (:mod:`nlc.leaderboard.items`), other
   than the protocol's;
5. any figure (``metrics.*`` or ``intervals.*``) that differs from its recomputation
   from the per-item scores and ranks by more than
   :data:`nlc.benchmark.results.FIGURE_TOLERANCE` (1e-9), naming the field.

Stored ranks that their candidate scores do not give are refused when the file is read
(:func:`nlc.benchmark.results.load_results`).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from nlc.benchmark.results import BenchmarkResults, figure_differences, load_results
from nlc.errors import InputError, IntegrityError
from nlc.leaderboard.board import BoardConfig, load_board
from nlc.leaderboard.entry import Entry, load_entry, results_digest, slugify
from nlc.leaderboard.items import results_items_digest


def _same(source: str, what: str, got: object, board_value: object, config: BoardConfig) -> None:
    if got != board_value:
        raise IntegrityError(
            f"{source}: {what} {got!r} is not the board's {board_value!r} "
            f"({config.release} release); results must come from the board's dataset build"
        )


def check_results(results: BenchmarkResults, config: BoardConfig, *, source: str) -> None:
    """Refuse results that do not belong on the board or whose figures are not earned.

    Parameters
    ----------
    results : BenchmarkResults
        A validated result file (ranks already checked against scores).
    config : BoardConfig
        The board's config.
    source : str
        Name of the file, used in the error message.

    Raises
    ------
    IntegrityError
        On the first check that fails (module docstring), naming the field.
    """
    if config.awaiting:
        raise IntegrityError(f"{source}: the board for the {config.release} release accepts no entries yet. {config.note}")
    _same(source, "schema_version", results.schema_version, config.results_schema_version, config)
    ds = results.dataset
    _same(source, "dataset.protocol_version", ds.protocol_version, config.protocol_version, config)
    _same(source, "dataset.content_hash", ds.content_hash, config.protocol_hash, config)
    _same(source, "dataset.dataset_fingerprint", ds.dataset_fingerprint, config.dataset_fingerprint, config)
    for field, key in (("n_classification", "classification_items"), ("n_queries", "ranking_queries")):
        if key in config.counts:
            _same(source, f"dataset.{field}", getattr(ds, field), config.counts[key], config)
    if config.items_sha256 is not None and results_items_digest(results) != config.items_sha256:
        raise IntegrityError(
            f"{source}: its items (ids, methods, labels or ranking candidates) are not the protocol's"
        )
    try:
        diffs = figure_differences(results, intervals=True)
    except InputError as exc:  # per-item outputs the metrics reject (NaN scores, one class only)
        raise IntegrityError(f"{source}: {exc}") from exc
    if diffs:
        more = f"; {len(diffs) - 1} more field(s) differ" if len(diffs) > 1 else ""
        raise IntegrityError(f"{source}: field {diffs[0]} is not supported by its per-item outputs{more}")


def check_results_file(path: str | os.PathLike[str], config: BoardConfig) -> BenchmarkResults:
    """Read a result file (schema and ranks checked) and :func:`check_results` it."""
    results = load_results(path, verify=False)
    check_results(results, config, source=str(path))
    return results


def results_from_entry(entry: Entry, *, source: str) -> BenchmarkResults:
    """Validate the results stored inside an entry (schema and ranks checked)."""
    try:
        return BenchmarkResults.model_validate(entry.results)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise InputError(f"{source}: invalid results at results.{where}: {err['msg']}") from exc


def check_entry(path: str | os.PathLike[str], *, board: str | os.PathLike[str] | None = None) -> Entry:
    """Check one committed entry file as ``submit`` would, plus its own bookkeeping.

    Also refuses a file name that is not the slug of the entry's name, a
    ``results_sha256`` that does not match the stored results, and a verification record
    that contradicts itself (verified with mismatches or with another model's hash).
    ``board`` defaults to the folder above ``submissions/``.
    """
    path = Path(path)
    board = Path(board) if board is not None else path.parent.parent
    entry = load_entry(path)
    if path.stem != entry.slug or entry.slug != slugify(entry.name):
        raise IntegrityError(f"{path}: file name and slug must both be {slugify(entry.name)!r}")
    if results_digest(entry.results) != entry.results_sha256:
        raise IntegrityError(f"{path}: results_sha256 does not match the stored results (edited after submission?)")
    results = results_from_entry(entry, source=str(path))
    check_results(results, load_board(board), source=str(path))
    ver = entry.verification
    if ver is not None:
        if ver.model_sha256 != results.model.sha256:
            raise IntegrityError(f"{path}: verification.model_sha256 is not the results' model.sha256")
        mismatches = ver.n_score_mismatches + ver.n_rank_mismatches + ver.n_decision_mismatches
        if ver.status == "verified" and (mismatches or ver.reason or ver.n_scores == 0):
            raise IntegrityError(f"{path}: verification says verified but records mismatches or no scores")
    return entry
