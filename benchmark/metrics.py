"""The paper's objective metrics (section 5.1), one pure function each, mir_eval style.

Every public metric first calls a ``validate_*`` function that rejects malformed input
with a :class:`ValueError` naming the problem, then computes one figure. The functions
take plain arrays so that a leaderboard, a notebook or the bootstrap can call them on
any subset of items.

Conventions
-----------
* A classification decision is *compatible* when ``score >= threshold`` (the
  submission's ``THRESHOLD``, default 0.5).
* F1 is the F1 score of the compatible (positive, label 1) class. When the model predicts
  no positive and there is no positive label it is 0.0 (nothing was found).
* ROC-AUC is threshold-free: the probability that a random positive scores higher than a
  random negative, ties counting one half (the Mann-Whitney U statistic over
  ``n_pos * n_neg``).
* Ranking: candidates are ordered by descending score and the true target's rank is
  ``1 + (number of other candidates scoring >= the target)``. **Ties are broken
  pessimistically**: the target ranks below every candidate it ties with, so a model that
  outputs a constant ranks the target last, never first, and cannot gain from ties.
* Top-k accuracy is the fraction of queries whose target's rank is ``<= k``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from nlc.errors import InputError


TOP_K: tuple[int, ...] = (10, 30, 50)
"""The top-k cut-offs of the paper's Table 2."""


@dataclass(frozen=True)
class MetricInfo:
    """How to read one reported figure (one row of :data:`METRIC_TABLE`)."""

    key: str
    """Field of the results' ``Metrics`` (and ``Intervals``)."""
    title: str
    """Short display title (table headers, leaderboard columns)."""
    higher_is_better: bool
    """False only for the average rank (1 = best)."""
    low: float
    """Smallest possible value."""
    high: float | None
    """Largest possible value; None when it is the number of candidates per query."""
    digits: int
    """Decimals shown on the leaderboard."""


METRIC_TABLE: tuple[MetricInfo, ...] = (
    MetricInfo("accuracy", "Accuracy", True, 0.0, 1.0, 3),
    MetricInfo("f1", "F1", True, 0.0, 1.0, 3),
    MetricInfo("roc_auc", "ROC-AUC", True, 0.0, 1.0, 3),
    MetricInfo("average_rank", "Avg. rank", False, 1.0, None, 1),
    *(MetricInfo(f"top{k}", f"Top-{k}", True, 0.0, 1.0, 3) for k in TOP_K),
)
"""The one description of every headline figure, in display order: name, title, direction,
range. The results schema, the leaderboard and the Hub export all read it from here."""

MAIN_SCORE: str = "roc_auc"
"""Key of the benchmark's headline figure; see ``nlc.benchmark.results.Metrics.main_score``."""


def metric_info(key: str) -> MetricInfo:
    """The :data:`METRIC_TABLE` row of ``key``; :class:`InputError` for an unknown figure."""
    for info in METRIC_TABLE:
        if info.key == key:
            return info
    raise InputError(f"unknown metric {key!r}; known: {', '.join(m.key for m in METRIC_TABLE)}")


def validate_classification(labels: np.ndarray, scores: np.ndarray) -> None:
    """Reject classification input a metric cannot be computed on.

    Raises
    ------
    ValueError
        If ``labels`` and ``scores`` are not 1-D of the same non-zero length, a label is
        not 0 or 1, or a score is NaN or infinite.
    """
    labels = np.asarray(labels)
    scores = np.asarray(scores)
    if labels.ndim != 1 or scores.ndim != 1:
        raise InputError(f"labels and scores must be 1-D, got shapes {labels.shape} and {scores.shape}")
    if labels.size != scores.size:
        raise InputError(f"{labels.size} labels but {scores.size} scores")
    if labels.size == 0:
        raise InputError("no classification items")
    if not np.isin(labels, (0, 1)).all():
        raise InputError(f"labels must be 0 or 1, found {sorted(set(np.unique(labels).tolist()) - {0, 1})[:3]}")
    if not np.isfinite(scores).all():
        raise InputError(f"{int((~np.isfinite(scores)).sum())} scores are NaN or infinite")


def _decisions(scores: np.ndarray, threshold: float) -> np.ndarray:
    return np.asarray(scores) >= threshold


def classification_accuracy(labels: np.ndarray, scores: np.ndarray, *, threshold: float = 0.5) -> float:
    """Fraction of pairs whose decision (``score >= threshold``) matches the label."""
    validate_classification(labels, scores)
    return float(np.mean(_decisions(scores, threshold) == np.asarray(labels).astype(bool)))


def f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 ``2tp / (2tp + fp + fn)`` elementwise, 0.0 where the denominator is 0."""
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(denom), where=denom > 0)


def classification_f1(labels: np.ndarray, scores: np.ndarray, *, threshold: float = 0.5) -> float:
    """F1 score of the compatible class at ``threshold`` (0.0 when undefined)."""
    validate_classification(labels, scores)
    truth = np.asarray(labels).astype(bool)
    pred = _decisions(scores, threshold)
    tp = np.sum(pred & truth)
    return float(f1_from_counts(tp, np.sum(pred & ~truth), np.sum(~pred & truth)))


def auc_from_scores(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC-AUC along the last axis (vectorised core of :func:`roc_auc`, no validation).

    ``labels`` may be 1-D (shared by every row of ``scores``) or the same shape as
    ``scores``; each row must hold both classes.
    """
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.broadcast_to(np.asarray(labels).astype(bool), scores.shape)
    from scipy.stats import rankdata  # here, not at the top: the leaderboard reads this module's table

    ranks = rankdata(scores, axis=-1)  # average ranks: ties count one half
    n_pos = truth.sum(axis=-1)
    n_neg = truth.shape[-1] - n_pos
    u = np.where(truth, ranks, 0.0).sum(axis=-1) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def auc_of_resamples(labels: np.ndarray, scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """ROC-AUC of each bootstrap resample ``scores[idx[r]]``, shape (len(idx),), in O(n) per row.

    Equal to :func:`auc_from_scores` on every row (Mann-Whitney U with ties counting one
    half), but computed from per-tie-group counts instead of sorting each resample:
    ``U = sum over positives of (#negatives below + 0.5 * #negatives tied)``.
    """
    truth = np.asarray(labels).astype(bool)
    _, groups = np.unique(np.asarray(scores, dtype=np.float64), return_inverse=True)
    n_groups = int(groups.max()) + 1
    idx = np.asarray(idx)
    flat = (np.arange(idx.shape[0])[:, None] * n_groups + groups[idx]).ravel()
    is_pos = truth[idx].ravel()
    size = idx.shape[0] * n_groups
    pos = np.bincount(flat[is_pos], minlength=size).reshape(idx.shape[0], n_groups).astype(np.float64)
    neg = np.bincount(flat[~is_pos], minlength=size).reshape(idx.shape[0], n_groups).astype(np.float64)
    below = np.cumsum(neg, axis=1) - neg
    u = (pos * (below + 0.5 * neg)).sum(axis=1)
    return u / (pos.sum(axis=1) * neg.sum(axis=1))


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve, threshold-free (ties count one half).

    Raises
    ------
    ValueError
        If the labels hold only one class (the AUC is then undefined).
    """
    validate_classification(labels, scores)
    n_pos = int(np.sum(labels))
    if n_pos == 0 or n_pos == len(labels):
        raise InputError("ROC-AUC needs both positive and negative labels")
    return float(auc_from_scores(labels, scores))


def method_accuracy(
    labels: np.ndarray, scores: np.ndarray, methods: Sequence[str] | np.ndarray, *, threshold: float = 0.5
) -> dict[str, float]:
    """Accuracy per protocol ``method`` (``positive`` and each negative sampling method).

    For a negative method this is the fraction of its pairs rejected as incompatible;
    for ``positive`` the fraction accepted. Keys are sorted.
    """
    validate_classification(labels, scores)
    methods = np.asarray(methods, dtype=object)
    if methods.shape != np.asarray(labels).shape:
        raise InputError(f"{methods.size} methods for {np.asarray(labels).size} labels")
    correct = _decisions(scores, threshold) == np.asarray(labels).astype(bool)
    return {str(m): float(np.mean(correct[methods == m])) for m in sorted(set(methods.tolist()))}


def validate_ranking(scores: np.ndarray, target_index: int) -> None:
    """Reject one query's candidate scores that cannot be ranked.

    Raises
    ------
    ValueError
        If ``scores`` is not a non-empty 1-D finite array or ``target_index`` is out of range.
    """
    scores = np.asarray(scores)
    if scores.ndim != 1 or scores.size == 0:
        raise InputError(f"candidate scores must be a non-empty 1-D array, got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise InputError("candidate scores contain NaN or infinite values")
    if not 0 <= int(target_index) < scores.size:
        raise InputError(f"target index {target_index} outside 0..{scores.size - 1}")


def target_rank(scores: np.ndarray, target_index: int) -> int:
    """Rank (1 = best) of candidate ``target_index`` by descending score, ties pessimistic.

    The target ranks below every other candidate whose score is greater than *or equal
    to* its own: ``rank = 1 + #{j != target : scores[j] >= scores[target]}``.
    """
    validate_ranking(scores, target_index)
    scores = np.asarray(scores, dtype=np.float64)
    t = int(target_index)
    return int(1 + np.sum(scores >= scores[t]) - 1)


def validate_ranks(ranks: np.ndarray) -> None:
    """Reject target ranks that are not a non-empty 1-D array of integers >= 1."""
    ranks = np.asarray(ranks)
    if ranks.ndim != 1 or ranks.size == 0:
        raise InputError(f"ranks must be a non-empty 1-D array, got shape {ranks.shape}")
    if not np.issubdtype(ranks.dtype, np.integer) or ranks.min() < 1:
        raise InputError("ranks must be integers >= 1 (1 = best)")


def average_rank(ranks: np.ndarray) -> float:
    """Mean rank of the true target over queries (1 = best; the paper's "Avg. rank")."""
    validate_ranks(ranks)
    return float(np.mean(ranks))


def top_k_accuracy(ranks: np.ndarray, *, k: int) -> float:
    """Fraction of queries whose true target ranks within the first ``k`` candidates."""
    validate_ranks(ranks)
    if k < 1:
        raise InputError(f"k must be >= 1, got {k}")
    return float(np.mean(np.asarray(ranks) <= k))
