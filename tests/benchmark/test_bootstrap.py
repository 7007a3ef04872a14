import numpy as np
import pytest

from nlc.errors import InputError
from nlc.benchmark import figures
from nlc.benchmark.bootstrap import resample_indices


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    methods = np.array(["positive"] * (n // 2) + ["random", "reverse"] * (n // 4))
    labels = (methods == "positive").astype(int)
    scores = rng.normal(labels * 0.3 + 0.35, 0.2)
    return labels, scores, methods


def test_stratified_resamples_keep_stratum_sizes():
    strata = np.array([0, 0, 0, 1, 1, 2])
    for idx in resample_indices(strata, n_resamples=250, seed=1):
        assert idx.shape[1] == 6
        assert (strata[idx] == strata[None, :]).all()


def test_intervals_are_seeded_and_bracket_the_point_figure():
    labels, scores, methods = _data()
    a = figures.classification_intervals(labels, scores, methods, threshold=0.5, n_resamples=300, seed=7)
    b = figures.classification_intervals(labels, scores, methods, threshold=0.5, n_resamples=300, seed=7)
    c = figures.classification_intervals(labels, scores, methods, threshold=0.5, n_resamples=300, seed=8)
    assert a == b and a != c
    point, per_method = figures.classification_figures(labels, scores, methods, threshold=0.5)
    for name, (lo, hi) in a[0].items():
        assert lo <= point[name] <= hi, name
    assert set(a[1]) == {"positive", "random", "reverse"}
    for name, (lo, hi) in a[1].items():
        assert lo <= per_method[name] <= hi


def test_ranking_interval_width_shrinks_with_more_queries():
    rng = np.random.default_rng(0)
    small = figures.ranking_intervals(rng.integers(1, 101, 50), n_resamples=500, seed=0)
    large = figures.ranking_intervals(rng.integers(1, 101, 5000), n_resamples=500, seed=0)
    width = lambda d: d["average_rank"][1] - d["average_rank"][0]  # noqa: E731
    assert width(large) < width(small) / 5


def test_confidence_must_be_a_fraction():
    with pytest.raises(InputError, match="confidence"):
        figures.ranking_intervals(np.array([1, 2]), confidence=95)
