import numpy as np
import pytest
from scipy.stats import chi2

from nlc.benchmark.compare import compare_results, comparison_report, mcnemar, wilcoxon_ranks
from nlc.errors import InputError


def test_mcnemar_exact_and_chi_square():
    # 3 discordant pairs, all won by A: exact two-sided binomial p = 2 * 0.5**3.
    a = np.array([1, 1, 1, 1, 0], bool)
    b = np.array([0, 0, 0, 1, 0], bool)
    res = mcnemar(a, b)
    assert res.test == "mcnemar-exact" and res.p_value == pytest.approx(0.25) and res.n == 3
    # 30 vs 10 discordant: chi-square (|30 - 10| - 1)^2 / 40 = 9.025 with 1 dof.
    a = np.r_[np.ones(30, bool), np.zeros(10, bool), np.ones(5, bool)]
    b = np.r_[np.zeros(30, bool), np.ones(10, bool), np.ones(5, bool)]
    res = mcnemar(a, b)
    assert res.test == "mcnemar-chi2" and res.statistic == pytest.approx(9.025)
    assert res.p_value == pytest.approx(chi2.sf(9.025, 1))
    assert mcnemar(a, a).p_value == 1.0


def test_wilcoxon_on_ranks():
    ranks = np.arange(1, 41)
    assert wilcoxon_ranks(ranks, ranks).p_value == 1.0
    better = wilcoxon_ranks(ranks + 20, ranks)  # B ranks every target 20 places higher
    assert better.p_value < 1e-6 and better.detail["median_rank_difference_b_minus_a"] == -20


def test_compare_self_is_null_and_refuses_other_protocols(make_results):
    a = make_results(seed=0)
    same = compare_results(a, a, n_resamples=200)
    assert all(d.difference == 0 and d.p_value == 1.0 for d in same.differences)
    assert "B - A" in comparison_report(same)
    other = a.model_copy(update={"dataset": a.dataset.model_copy(update={"content_hash": "other"})})
    with pytest.raises(InputError, match="different protocols \\(content_hash differs\\)"):
        compare_results(a, other)


def test_paired_bootstrap_is_seeded(make_results):
    a, b = make_results(seed=0), make_results(seed=1)
    first = compare_results(a, b, n_resamples=300, seed=5)
    assert first == compare_results(a, b, n_resamples=300, seed=5)
    acc = next(d for d in first.differences if d.figure == "accuracy")
    assert acc.difference == pytest.approx(b.metrics.accuracy - a.metrics.accuracy)
    assert acc.interval.low <= acc.difference <= acc.interval.high


def test_compare_refuses_files_that_disagree_on_labels(make_results):
    a = make_results(seed=0)
    items = list(a.classification)
    items[0] = items[0].model_copy(update={"label": 1 - items[0].label})
    edited = a.model_copy(update={"classification": items})
    with pytest.raises(InputError, match="disagree on classification labels"):
        compare_results(a, edited)
