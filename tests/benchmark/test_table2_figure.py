"""The Table 2 plot: one panel per shown figure, the floor band, determinism of the PNG.

The figure object is inspected (axes, titles, artists), never pixels.
"""

import pytest

from nlc.benchmark import reproduce
from nlc.benchmark.table2_figure import shown_figures, table2_figure
from nlc.errors import InputError


def _rows(make_results, n_cand):
    entries = [reproduce.Entry("cnn-random", "CNN", "Random"), reproduce.Entry("snn-random", "Siamese NN", "Random"),
               reproduce.Entry("automashupper", "AutoMashUpper", "-"), reproduce.Entry("random_baseline", "Random", "-")]
    results = [make_results(seed=0, n_cand=n_cand), make_results(seed=1, n_cand=n_cand), None,
               make_results(seed=2, n_cand=n_cand)]
    return list(zip(entries, results, strict=True))


def _figure(rows, best=None):
    return table2_figure([reproduce.row_label(e) for e, _ in rows], [r for _, r in rows],
                         groups=[e.model for e, _ in rows], floor=3, best=best)


@pytest.mark.parametrize(("n_cand", "titles"), [
    (8, ["Accuracy", "F1", "ROC-AUC", "Avg. rank"]),  # every top-k trivial: left out
    (40, ["Accuracy", "F1", "ROC-AUC", "Avg. rank", "Top-10", "Top-30"]),  # 40 > 30, not > 50
])
def test_one_panel_per_shown_figure(make_results, n_cand, titles):
    rows = _rows(make_results, n_cand)
    assert [m.title for m in shown_figures([r for _, r in rows])] == titles
    fig = _figure(rows)
    assert [ax.get_title() for ax in fig.axes] == titles
    directions = {ax.get_title(): ax.get_xlabel() for ax in fig.axes}
    assert directions["Avg. rank"].startswith("lower is better") and directions["Accuracy"] == "higher is better"
    for ax in fig.axes:
        assert len(ax.patches) == 1  # the random baseline's band
        assert len(ax.collections) == 3  # one interval bar per scored entry; the failed one has none
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["CNN + random", "Siamese NN + random", "AutoMashUpper  (failed)", "Random"]
    caption = fig.get_supxlabel()
    assert "bootstrap interval (200 resamples)" in caption and "grey band" in caption
    assert ("Top-10, Top-30, Top-50 not shown" in caption) == (n_cand == 8)
    assert ("Top-50 not shown: no query has more than 40 candidates" in caption) == (n_cand == 40)


def test_separated_best_is_a_diamond(make_results):
    fig = _figure(_rows(make_results, 8), best={"accuracy": 1})
    markers = {ax.get_title(): [line.get_marker() for line in ax.lines] for ax in fig.axes}
    assert markers["Accuracy"] == ["o", "D", "o"] and markers["F1"] == ["o", "o", "o"]
    with pytest.raises(InputError, match="row index 7"):
        _figure(_rows(make_results, 8), best={"accuracy": 7})
    with pytest.raises(InputError, match="4 labels for 3 results"):
        table2_figure(["a", "b", "c", "d"], [None] * 3)


def test_png_is_written_and_deterministic(make_results, tmp_path):
    rows = _rows(make_results, 40)
    tests = reproduce.column_tests(rows, n_resamples=100)
    first = reproduce.table2_png(rows, tmp_path / "a" / "table2.png", tests=tests).read_bytes()
    second = reproduce.table2_png(rows, tmp_path / "b" / "table2.png", tests=tests).read_bytes()
    assert first.startswith(b"\x89PNG\r\n\x1a\n") and len(first) > 10_000
    assert first == second
    assert b"Software" not in first and b"Matplotlib" not in first  # no version or time stamp chunk
