"""A digest of *which* protocol items a result file answers, and with which labels.

Recomputing the figures from the per-item outputs proves the figures follow from the
outputs, but not that the outputs belong to the board's protocol: a submitter could flip
the label of every item the model got wrong, drop hard items, or invent candidates, and
the recomputed figures would agree with the edited file. The board therefore records, when
it is bound to a dataset, a SHA-256 over the protocol's item identities; a result file must
reproduce it exactly.

The digest covers, for classification, ``item_id, query_id, candidate_id, method, label``
of every item; for ranking, each query's ``query_id``, true ``target_id`` and its set of
candidate ids. Lines are sorted, so row order does not matter; scores are not included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import SupportsInt, cast

import pandas as pd

from nlc.benchmark.results import BenchmarkResults


def _digest(class_lines: Iterable[str], rank_lines: Iterable[str]) -> str:
    text = "classification\n" + "".join(sorted(class_lines)) + "ranking\n" + "".join(sorted(rank_lines))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _class_line(item_id: str, query_id: str, candidate_id: str, method: str, label: int) -> str:
    return f"{item_id}\t{query_id}\t{candidate_id}\t{method}\t{int(label)}\n"


def _rank_line(query_id: str, target_id: str, candidates: Iterable[str]) -> str:
    return f"{query_id}\t{target_id}\t{','.join(sorted(candidates))}\n"


def results_items_digest(results: BenchmarkResults) -> str:
    """Digest of the items a result file answers (see module docstring)."""
    class_lines = [_class_line(c.item_id, c.query_id, c.candidate_id, c.method, c.label) for c in results.classification]
    rank_lines = [_rank_line(q.query_id, q.target_id, q.candidate_ids) for q in results.ranking]
    return _digest(class_lines, rank_lines)


def protocol_items_digest(classification: pd.DataFrame, ranking: pd.DataFrame) -> str:
    """Digest of the frozen protocol tables (rows as in ``nlc-loops/protocol/*.parquet``).

    Parameters
    ----------
    classification : DataFrame
        Columns ``item_id, query_id, candidate_id, method, label``.
    ranking : DataFrame
        Columns ``query_id, candidate_id, label`` (label 1 marks the query's true target).
    """
    class_lines = [
        _class_line(str(r.item_id), str(r.query_id), str(r.candidate_id), str(r.method), int(cast(SupportsInt, r.label)))
        for r in classification.itertuples(index=False)
    ]
    rank_lines = []
    for query_id, group in ranking.groupby("query_id", sort=True):
        targets = group.loc[group["label"] == 1, "candidate_id"].astype(str).tolist()
        target = targets[0] if len(targets) == 1 else "|".join(sorted(targets))
        rank_lines.append(_rank_line(str(query_id), target, group["candidate_id"].astype(str)))
    return _digest(class_lines, rank_lines)
