"""The frozen benchmark protocol: classification and ranking tables (paper section 5.1).

The paper evaluates on two tasks. **Classification**: every validation positive plus as
many negatives, the five sampling methods in equal shares "in order not to favor any of
them" (1:1 negatives to positives). **Ranking**: each of the 100 test source loops with
100 candidate targets, its true target and the 99 other test targets.

Both are drawn once, at build time, and stored as data (one row per evaluated pair, the
schema of ``docs/ARCHITECTURE.md``, "Protocol rows")::

    item_id, task, query_id, candidate_id, label, method, shift_beats, permutation

The evaluated pair is ``(audio[query_id], transform(method)(audio[candidate_id]))``:
``positive``/``candidate``/``random``/``selected`` use the candidate loop as it is (for
``random``/``selected`` the candidate *is* the other song's loop), ``reverse``, ``shift``
and ``rearrange`` transform it with :mod:`nlc.loops.negatives`. So every negative
is recreated exactly from ids and two small parameters, never from stored audio.
:func:`protocol_hash` fingerprints both tables (a sha256 of a canonical JSON form that does
not depend on row order or on how Parquet returned the values); every reader checks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import SupportsInt, cast

import numpy as np
import pandas as pd

from nlc.loops.negatives import BETWEEN_SONG, METHODS, LoopPool, NegativeRecipe, draw_recipe
from nlc.loops.layout import PROTOCOL_COLUMNS, validate_pairs
from nlc.errors import InputError

PROTOCOL_VERSION: str = "1.0"
"""Bumped whenever the rules below change what a frozen table contains."""
FREEZE_COLUMNS: tuple[str, ...] = ("pair_id", "song_id", "source_id", "target_id", "source_role", "target_role", "split")
"""Columns a pairs table must carry to freeze the protocol from it (the release's pair
columns without audio and metadata, plus each pair's split)."""
RANKING_CANDIDATES: int = 100
"""Candidates per ranking query: the true target and 99 other test targets."""
_TASK_METHODS = {"classification": ("positive", *METHODS), "ranking": ("candidate",)}


def _sorted_split(pairs: pd.DataFrame, split: str) -> pd.DataFrame:
    validate_pairs(pairs, columns=FREEZE_COLUMNS[:-1])  # split may be None: pairs left out
    if "split" not in pairs.columns:
        raise InputError(f"pairs table lacks column(s) ['split']; it has {list(pairs.columns)}")
    part = pairs[pairs["split"] == split].astype({c: str for c in FREEZE_COLUMNS})
    return part.sort_values("pair_id", kind="stable").reset_index(drop=True)


def _row(item_id: str, task: str, query: str, candidate: str, label: int, method: str,
         shift_beats: int | None = None, permutation: tuple[int, ...] | None = None) -> dict:
    return {"item_id": item_id, "task": task, "query_id": query, "candidate_id": candidate, "label": label,
            "method": method, "shift_beats": shift_beats, "permutation": list(permutation or ())}


def _frame(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(PROTOCOL_COLUMNS))
    return table.astype({"item_id": str, "task": str, "query_id": str, "candidate_id": str,
                         "label": "int64", "method": str, "shift_beats": "Int64"})


def method_counts(n: int) -> dict[str, int]:
    """Negatives per method for ``n`` positives: ``n // 5`` each, the remainder going to
    the first methods in :data:`~nlc.loops.negatives.METHODS` order."""
    base, extra = divmod(int(n), len(METHODS))
    return {m: base + (i < extra) for i, m in enumerate(METHODS)}


def freeze_classification(pairs: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """Classification table: every validation positive and one negative made from each.

    Parameters
    ----------
    pairs : pd.DataFrame
        Positive pairs with :data:`FREEZE_COLUMNS` (``split`` from
        the builder's split assignment).
    seed : int
        Seed of the method assignment and of every recipe draw.

    Returns
    -------
    pd.DataFrame with :data:`PROTOCOL_COLUMNS`
        ``2 n`` rows for ``n`` validation pairs: row ``2k`` is the positive ``k`` (pairs
        sorted by ``pair_id``; ``method="positive"``, label 1), row ``2k+1`` its negative
        (label 0). The methods are assigned to the positives by a seeded shuffle, in
        the shares of :func:`method_counts`; ``random``/``selected`` draw the other loop
        among the validation loops of other songs.
    """
    val = _sorted_split(pairs, "validation")
    if val.empty:
        raise InputError("classification protocol: the pairs table has no 'validation' pair")
    rng = np.random.default_rng(seed)
    methods = np.repeat(list(METHODS), list(method_counts(len(val)).values()))[rng.permutation(len(val))]
    pool = LoopPool.from_pairs(val)
    rows = []
    for k, (pair, method) in enumerate(zip(val.itertuples(index=False), methods)):
        # _sorted_split made the pair columns str (pandas-stubs type cells as any scalar)
        source_id, target_id, song_id = cast(str, pair.source_id), cast(str, pair.target_id), cast(str, pair.song_id)
        rows.append(_row(f"cls-{2 * k:06d}", "classification", source_id, target_id, 1, "positive"))
        try:
            recipe = draw_recipe(str(method), song_id=song_id, pool=pool, rng=rng)
        except InputError as err:
            raise InputError(f"classification protocol, pair {pair.pair_id!r}: {err}") from None
        candidate = recipe.other_loop_id or target_id
        rows.append(_row(f"cls-{2 * k + 1:06d}", "classification", source_id, candidate, 0, recipe.method,
                         recipe.shift_beats, recipe.permutation))
    return _frame(rows)


def freeze_ranking(pairs: pd.DataFrame, *, seed: int, n_candidates: int = RANKING_CANDIDATES) -> pd.DataFrame:
    """Ranking table: each test source with its true target and ``n_candidates - 1`` others.

    Parameters
    ----------
    pairs : pd.DataFrame
        Positive pairs with :data:`FREEZE_COLUMNS`; the ``test`` rows (one per song) are used.
    seed : int
        Seed of the candidate order (shuffled, so that a tie never favours the true
        target) and, with more than ``n_candidates`` test pairs, of the choice of others.
    n_candidates : int, default 100
        Candidates per query; with fewer test pairs every test target is a candidate.

    Returns
    -------
    pd.DataFrame with :data:`PROTOCOL_COLUMNS`
        ``item_id = "rnk-QQQQ-CCC"``; ``method="candidate"``; label 1 for the true target.
        Empty (with the columns) when the corpus is too small to have a test set.
    """
    if n_candidates < 1:
        raise InputError(f"n_candidates must be >= 1, got {n_candidates}")
    test = _sorted_split(pairs, "test")
    repeated = test["song_id"].duplicated()
    if repeated.any():
        raise InputError(f"ranking protocol: song {test['song_id'][repeated].iloc[0]!r} has more than one test pair")
    rng = np.random.default_rng(seed)
    targets = test["target_id"].to_numpy()
    rows = []
    for q, pair in enumerate(test.itertuples(index=False)):
        others = np.delete(np.arange(len(test)), q)
        if others.size > n_candidates - 1:
            others = np.sort(rng.choice(others, size=n_candidates - 1, replace=False))
        chosen = np.concatenate([[q], others])[rng.permutation(others.size + 1)]
        for c, t in enumerate(chosen):
            rows.append(_row(f"rnk-{q:04d}-{c:03d}", "ranking", cast(str, pair.source_id), targets[t], int(t == q),
                             "candidate"))  # _sorted_split made source_id a str
    return _frame(rows)


def _shift_value(value: object) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(value)  # type: ignore[call-overload]


def _perm_value(value: object) -> tuple[int, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    return tuple(int(i) for i in cast(Iterable[SupportsInt], value))  # a list cell of beat indices


def validate_table(table: pd.DataFrame, *, task: str, whole: bool = True) -> None:
    """Reject a protocol table that breaks the schema: columns, task, labels, methods, recipes.

    ``whole=False`` checks rows only (for a slice); ``True`` also checks that each ranking
    query has exactly one true target.
    """
    if task not in _TASK_METHODS:
        raise InputError(f"unknown protocol task {task!r}; expected one of {tuple(_TASK_METHODS)}")
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{task} table must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in PROTOCOL_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{task} table lacks column(s) {missing}")
    if table["item_id"].duplicated().any():
        raise InputError(f"{task} table: item_id {table['item_id'][table['item_id'].duplicated()].iloc[0]!r} repeats")
    for row in table.itertuples(index=False):
        where = f"{task} table, item {row.item_id!r}"
        if row.task != task:
            raise InputError(f"{where}: task is {row.task!r}")
        if row.method not in _TASK_METHODS[task]:
            raise InputError(f"{where}: method {row.method!r} not in {_TASK_METHODS[task]}")
        label = int(cast(SupportsInt, row.label))  # an int64 column (pandas-stubs type cells as any scalar)
        if label not in (0, 1) or (row.method in METHODS and label != 0) or (
                row.method == "positive" and label != 1):
            raise InputError(f"{where}: label {row.label!r} does not fit method {row.method!r}")
        if not isinstance(row.query_id, str) or not isinstance(row.candidate_id, str):
            raise InputError(f"{where}: query_id and candidate_id must be loop ids")
        shift_beats, perm = _shift_value(row.shift_beats), _perm_value(row.permutation)
        if row.method in METHODS:
            other = row.candidate_id if row.method in ("random", "selected") else None
            NegativeRecipe(cast(str, row.method), other, shift_beats, perm or None)  # one of METHODS
        elif shift_beats is not None or perm:
            raise InputError(f"{where}: a {row.method!r} row takes no shift_beats or permutation")
    if whole and task == "ranking" and len(table):
        positives = table.groupby("query_id")["label"].sum()
        if (positives != 1).any():
            raise InputError(f"ranking table: query {positives.index[positives != 1][0]!r} has "
                             f"{int(positives[positives != 1].iloc[0])} true targets, expected 1")


def _canonical_rows(table: pd.DataFrame) -> list[list]:
    cols = [table[c].tolist() for c in PROTOCOL_COLUMNS]  # plain Python values, fast to iterate
    rows = [[str(i), str(t), str(q), str(c), int(lab), str(m), _shift_value(s), list(_perm_value(p))]
            for i, t, q, c, lab, m, s, p in zip(*cols)]
    return sorted(rows, key=lambda r: r[0])


def protocol_hash(classification: pd.DataFrame, ranking: pd.DataFrame) -> str:
    """sha256 (hex) of both tables in a canonical form.

    Rows are sorted by ``item_id`` and every value is reduced to plain JSON (ints, strings,
    ``null``, lists of ints), so the hash is the same for the tables as frozen and as read
    back from Parquet or ``datasets``. Both tables are validated first.
    """
    validate_table(classification, task="classification")
    validate_table(ranking, task="ranking")
    payload = {"columns": list(PROTOCOL_COLUMNS), "classification": _canonical_rows(classification),
               "ranking": _canonical_rows(ranking)}
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def row_recipe(method: str, shift_beats: object = None, permutation: object = None) -> NegativeRecipe | None:
    """The transform a protocol row applies to its candidate loop, or ``None`` for none.

    ``positive``, ``candidate``, ``random`` and ``selected`` rows evaluate the candidate loop
    as it is (for the last two the candidate *is* the other song's loop); ``reverse``,
    ``shift`` and ``rearrange`` rows transform it with
    :func:`~nlc.loops.negatives.apply_recipe`. ``shift_beats`` and ``permutation`` may come
    as stored (nullable ints, arrays, lists) or as read back from Parquet.
    """
    if method not in METHODS or method in BETWEEN_SONG:
        return None
    return NegativeRecipe(method, None, _shift_value(shift_beats), _perm_value(permutation) or None)
