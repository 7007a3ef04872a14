"""All of Table 2's figures and their bootstrap intervals, from per-item outputs.

This is the single place where per-item scores become the reported numbers, so that
``nlc-bench run``, :func:`nlc.benchmark.results.recompute_metrics` and the leaderboard
can never disagree. Point figures come from the pure functions of
:mod:`nlc.benchmark.metrics`; intervals from :mod:`nlc.benchmark.bootstrap`, using the
same conventions (decision ``score >= threshold``, pessimistic ties).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nlc.benchmark import metrics
from nlc.benchmark.bootstrap import CONFIDENCE, N_RESAMPLES, percentile_intervals

CLASSIFICATION_FIGURES: tuple[str, ...] = ("accuracy", "f1", "roc_auc")
RANKING_FIGURES: tuple[str, ...] = ("average_rank",) + tuple(f"top{k}" for k in metrics.TOP_K)


def classification_figures(
    labels: np.ndarray, scores: np.ndarray, methods: Sequence[str], *, threshold: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Accuracy, F1 and ROC-AUC, and the accuracy per protocol method.

    Returns
    -------
    (figures, method_accuracy) : (dict, dict)
        ``figures`` has the keys of :data:`CLASSIFICATION_FIGURES`.
    """
    figures = {
        "accuracy": metrics.classification_accuracy(labels, scores, threshold=threshold),
        "f1": metrics.classification_f1(labels, scores, threshold=threshold),
        "roc_auc": metrics.roc_auc(labels, scores),
    }
    return figures, metrics.method_accuracy(labels, scores, methods, threshold=threshold)


def ranking_figures(ranks: np.ndarray) -> dict[str, float]:
    """Average rank and top-k accuracies (keys of :data:`RANKING_FIGURES`)."""
    out = {"average_rank": metrics.average_rank(ranks)}
    for k in metrics.TOP_K:
        out[f"top{k}"] = metrics.top_k_accuracy(ranks, k=k)
    return out


def classification_statistic(
    labels: np.ndarray, scores: np.ndarray, methods: Sequence[str] | np.ndarray, *, threshold: float
) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Vectorised :func:`classification_figures` for bootstrap index rows (chunk, n).

    Method accuracies come as ``"method:<name>"``; the index rows must be stratified by
    method (each row holds every method's item count), as :func:`classification_intervals`
    and the paired comparison draw them.
    """
    metrics.validate_classification(labels, scores)
    truth = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    methods = np.asarray(methods, dtype=object)
    correct = (scores >= threshold) == truth
    pred = scores >= threshold
    names = sorted(set(methods.tolist()))
    method_masks = {m: methods == m for m in names}

    def stats(idx: np.ndarray) -> dict[str, np.ndarray]:
        t, p = truth[idx], pred[idx]
        out = {
            "accuracy": correct[idx].mean(axis=1),
            "f1": metrics.f1_from_counts((t & p).sum(1), (~t & p).sum(1), (t & ~p).sum(1)),
        }
        if 0 < truth.sum() < truth.size:
            out["roc_auc"] = metrics.auc_of_resamples(truth, scores, idx)
        for m, mask in method_masks.items():
            # Stratified by method, so each row holds exactly mask.sum() items of method m.
            sel = mask[idx]
            out[f"method:{m}"] = (correct[idx] & sel).sum(1) / sel.sum(1)
        return out

    return stats


def classification_intervals(
    labels: np.ndarray,
    scores: np.ndarray,
    methods: Sequence[str],
    *,
    threshold: float,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """Bootstrap intervals of :func:`classification_figures`, resampling items within methods.

    Returns
    -------
    (intervals, method_intervals) : dicts of name -> (low, high)
    """
    stats = classification_statistic(labels, scores, methods, threshold=threshold)
    strata = np.asarray(methods, dtype=object).astype(str)
    found = percentile_intervals(stats, strata, n_resamples=n_resamples, confidence=confidence, seed=seed)
    intervals = {k: v for k, v in found.items() if not k.startswith("method:")}
    per_method = {k.removeprefix("method:"): v for k, v in found.items() if k.startswith("method:")}
    return intervals, per_method


def ranking_intervals(
    ranks: np.ndarray, *, n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Bootstrap intervals of :func:`ranking_figures`, resampling whole queries."""
    stats = ranking_statistic(ranks)
    return percentile_intervals(stats, np.zeros(len(ranks)), n_resamples=n_resamples, confidence=confidence, seed=seed)


def ranking_statistic(ranks: np.ndarray) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Vectorised :func:`ranking_figures` for bootstrap index rows (chunk, n_queries)."""
    metrics.validate_ranks(ranks)
    ranks = np.asarray(ranks)

    def stats(idx: np.ndarray) -> dict[str, np.ndarray]:
        r = ranks[idx]
        out = {"average_rank": r.mean(axis=1)}
        for k in metrics.TOP_K:
            out[f"top{k}"] = (r <= k).mean(axis=1)
        return out

    return stats
