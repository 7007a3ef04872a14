"""Does a re-run reproduce a submission's per-item outputs? (the verification criterion)

Two runs of the same model on the same protocol agree when

* every classification score and every ranking candidate score agrees within
  ``|a - b| <= SCORE_RTOL * max(|a|, |b|) + SCORE_ATOL`` (1e-4 relative, 1e-6 absolute:
  loose enough for a different BLAS or CPU, far tighter than any change of figures);
* every ranking target rank is identical;
* every classification decision (``score >= THRESHOLD``) is identical, with the same
  threshold;
* both runs answer the same items (same ids, candidates in the same order).

The point figures then agree exactly, since they are functions of ranks and decisions;
ROC-AUC agrees to within the score tolerance's effect on ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlc.benchmark.results import BenchmarkResults
from nlc.errors import InputError

SCORE_RTOL: float = 1e-4
"""Relative tolerance on each per-item score."""
SCORE_ATOL: float = 1e-6
"""Absolute tolerance on each per-item score (for scores near zero)."""


@dataclass(frozen=True)
class Comparison:
    """Outcome of :func:`compare_outputs`; ``reason`` is empty when the outputs agree."""

    n_scores: int
    n_score_mismatches: int
    max_abs_diff: float | None
    max_rel_diff: float | None
    n_ranks: int
    n_rank_mismatches: int
    n_decision_mismatches: int
    reason: str

    @property
    def reproduced(self) -> bool:
        return not self.reason


def _mismatch(reason: str) -> Comparison:
    return Comparison(0, 0, None, None, 0, 0, 0, reason)


def compare_outputs(
    submitted: BenchmarkResults, rerun: BenchmarkResults, *, rtol: float = SCORE_RTOL, atol: float = SCORE_ATOL
) -> Comparison:
    """Compare the per-item outputs of a submission and of its re-run (module docstring)."""
    if rtol < 0 or atol < 0:
        raise InputError(f"tolerances must be >= 0, got rtol={rtol}, atol={atol}")
    if submitted.model.threshold != rerun.model.threshold:
        return _mismatch(f"THRESHOLD {rerun.model.threshold} on re-run, {submitted.model.threshold} submitted")
    a_cls = {c.item_id: c for c in submitted.classification}
    b_cls = {c.item_id: c for c in rerun.classification}
    if a_cls.keys() != b_cls.keys():
        return _mismatch(f"re-run answered {len(b_cls)} classification items, {len(a_cls)} submitted, ids differ")
    a_rank = {q.query_id: q for q in submitted.ranking}
    b_rank = {q.query_id: q for q in rerun.ranking}
    if a_rank.keys() != b_rank.keys() or any(a_rank[k].candidate_ids != b_rank[k].candidate_ids for k in a_rank):
        return _mismatch("re-run ranked other queries or candidates than the submission")
    ids = sorted(a_cls)
    queries = sorted(a_rank)
    a = np.array([a_cls[i].score for i in ids] + [s for q in queries for s in a_rank[q].scores], dtype=np.float64)
    b = np.array([b_cls[i].score for i in ids] + [s for q in queries for s in b_rank[q].scores], dtype=np.float64)
    diff = np.abs(a - b)
    scale = np.maximum(np.abs(a), np.abs(b))
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    bad_scores = int(np.sum(diff > rtol * scale + atol))
    threshold = submitted.model.threshold
    bad_decisions = sum((a_cls[i].score >= threshold) != (b_cls[i].score >= threshold) for i in ids)
    bad_ranks = sum(a_rank[q].target_rank != b_rank[q].target_rank for q in queries)
    problems = [f"{n} {what}" for n, what in ((bad_scores, "scores outside tolerance"),
                (bad_ranks, "target ranks differ"), (bad_decisions, "decisions differ")) if n]
    return Comparison(
        n_scores=int(a.size), n_score_mismatches=bad_scores,
        max_abs_diff=float(diff.max()) if diff.size else 0.0, max_rel_diff=float(rel.max()) if rel.size else 0.0,
        n_ranks=len(queries), n_rank_mismatches=bad_ranks, n_decision_mismatches=int(bad_decisions),
        reason="; ".join(problems),
    )
