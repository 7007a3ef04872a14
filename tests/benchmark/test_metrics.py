"""Metrics against hand-checked values (tests/data/benchmark_metrics_regression.json).

Derivation of the classification figures (threshold 0.5, decision score >= 0.5):
decisions 1 1 1 0 1 0 0 1 against labels 1 1 1 1 0 0 0 0 -> 5 of 8 correct (0.625);
TP=3, FP=2, FN=1 -> F1 = 6 / 9; ROC-AUC counts the 16 positive/negative pairs:
0.9 beats 4, 0.6 beats 3, 0.5 beats 2 and ties 1 (2.5), 0.2 beats 1 -> 10.5 / 16.
Ranking: the target ranks below every candidate scoring >= it (pessimistic ties).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from nlc.errors import InputError
from nlc.benchmark import metrics

DATA = json.loads((Path(__file__).parents[1] / "data" / "benchmark_metrics_regression.json").read_text())


def test_classification_regression():
    c = DATA["classification"]
    labels, scores, t = np.array(c["labels"]), np.array(c["scores"]), c["threshold"]
    exp = c["expected"]
    assert metrics.classification_accuracy(labels, scores, threshold=t) == pytest.approx(exp["accuracy"])
    assert metrics.classification_f1(labels, scores, threshold=t) == pytest.approx(exp["f1"])
    assert metrics.roc_auc(labels, scores) == pytest.approx(exp["roc_auc"])
    assert metrics.method_accuracy(labels, scores, c["methods"], threshold=t) == exp["method_accuracy"]


def test_ranking_regression():
    r = DATA["ranking"]
    for q in r["queries"]:
        assert metrics.target_rank(np.array(q["scores"]), q["target_index"]) == q["expected_rank"]
    ranks = np.array(r["ranks"])
    assert metrics.average_rank(ranks) == pytest.approx(r["expected"]["average_rank"])
    for k in metrics.TOP_K:
        assert metrics.top_k_accuracy(ranks, k=k) == pytest.approx(r["expected"][f"top{k}"])


def test_auc_matches_mann_whitney_on_random_data():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 500)
    scores = np.round(rng.normal(labels * 0.5, 1.0), 1)  # rounding creates ties
    u = mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic
    assert metrics.roc_auc(labels, scores) == pytest.approx(u / (labels.sum() * (500 - labels.sum())))


def test_constant_model_gets_worst_rank_and_half_auc():
    assert metrics.target_rank(np.zeros(100), 37) == 100
    assert metrics.roc_auc(np.array([0, 1, 0, 1]), np.zeros(4)) == 0.5


def test_f1_zero_when_undefined():
    assert metrics.classification_f1(np.zeros(4, int), np.zeros(4), threshold=0.5) == 0.0


@pytest.mark.parametrize(
    ("labels", "scores", "match"),
    [
        ([1, 0], [0.1], "2 labels but 1 scores"),
        ([1, 2], [0.1, 0.2], "labels must be 0 or 1"),
        ([1, 0], [np.nan, 0.2], "NaN or infinite"),
        ([], [], "no classification items"),
        ([[1, 0]], [[0.1, 0.2]], "1-D"),
    ],
)
def test_validate_classification_rejects(labels, scores, match):
    with pytest.raises(InputError, match=match):
        metrics.classification_accuracy(np.array(labels), np.array(scores), threshold=0.5)


def test_validate_rejects_bad_rankings():
    with pytest.raises(InputError, match="outside"):
        metrics.target_rank(np.zeros(3), 3)
    with pytest.raises(InputError, match="NaN"):
        metrics.target_rank(np.array([np.inf, 0.0]), 0)
    with pytest.raises(InputError, match=">= 1"):
        metrics.average_rank(np.array([0, 2]))
    with pytest.raises(InputError, match="both positive and negative"):
        metrics.roc_auc(np.ones(3, int), np.zeros(3))


def test_auc_of_resamples_matches_sorting_auc():
    rng = np.random.default_rng(5)
    labels = np.r_[np.ones(60, int), np.zeros(40, int)]
    scores = np.round(rng.normal(labels * 0.4, 1.0), 1)  # ties
    idx = np.c_[rng.integers(0, 60, (50, 60)), rng.integers(60, 100, (50, 40))]
    np.testing.assert_allclose(metrics.auc_of_resamples(labels, scores, idx),
                               metrics.auc_from_scores(labels[idx], scores[idx]), rtol=1e-12)
