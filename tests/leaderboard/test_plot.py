"""The board's scatter: labels stay readable when entries share (or nearly share) a point."""

from __future__ import annotations

import itertools

import matplotlib
import pytest
from matplotlib.text import Annotation, Text

from nlc.leaderboard.columns import Figure, Row
from nlc.leaderboard.plot import axis_labels, label_groups, scatter_figure, scatter_svg

CHANCE = [f"baseline-{k}" for k in range(6)]  # six entries on one point, as the demo board's chance-level baselines


def _row(name: str, x: float, y: float, verified: bool = False) -> Row:
    return Row(name=name, slug=name, verified=verified, paper=None, code=None, submitted="2026-01-01T00:00:00Z",
               figures={"accuracy": Figure(x, x - 0.02, x + 0.02), "top10": Figure(y, y - 0.03, y + 0.03)})


ROWS = [*(_row(n, 0.5, 0.1, verified=k == 0) for k, n in enumerate(CHANCE)),
        _row("near-a", 0.503, 0.102), _row("near-b", 0.505, 0.104),  # close enough for labels to collide
        _row("Strong model with a long name", 0.62, 0.45, verified=True), _row("no-top10", 0.7, 0.2)]
ROWS[-1].figures.pop("top10")  # left out of the plot


def _label_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if isinstance(t, Annotation)]
    return labels, [Text.get_window_extent(t, renderer) for t in labels]


def test_coincident_entries_share_one_label():
    groups = label_groups([r for r in ROWS if "top10" in r.figures])
    assert groups[0] == ((0.5, 0.1), CHANCE)
    assert [names for _, names in groups[1:]] == [["near-a"], ["near-b"], ["Strong model with a long name"]]


def test_no_two_label_boxes_overlap_after_a_draw():
    with matplotlib.rc_context({"font.size": 9}):
        fig = scatter_figure(ROWS)
        labels, boxes = _label_boxes(fig)
    texts = [t.get_text() for t in labels]
    assert texts[0] == "\n".join(CHANCE)  # one label, one name per line
    assert sorted(itertools.chain.from_iterable(t.split("\n") for t in texts)) == sorted(
        [*CHANCE, "near-a", "near-b", "Strong model with a long name"])  # every plotted name, once
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not a.overlaps(b), f"labels {texts[i]!r} and {texts[j]!r} overlap: {a} {b}"
    # the near pair would collide at the default spot (up-right of the point): they were moved
    assert [t.get_position() for t in labels[1:3]] != [(4.0, 4.0), (4.0, 4.0)]
    assert all(b.width > 0 and b.height > 0 for b in boxes)


@pytest.mark.parametrize("n", [2, 6, 12])
def test_many_entries_on_one_point_and_around_it(n):
    rows = [_row(f"m{k}", 0.5, 0.5) for k in range(n)] + [_row(f"x{k}", 0.5 + 0.001 * k, 0.5) for k in range(1, n)]
    labels, boxes = _label_boxes(scatter_figure(rows))
    assert len(labels) == n  # the coincident ones share a label, the near ones have one each
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    # a label moved from its default spot shows a leader line to its point, the others none
    assert all(t.arrow_patch.get_visible() == (t.get_position() != (4.0, 4.0)) for t in labels)
    assert any(t.arrow_patch.get_visible() for t in labels)


def test_svg_is_deterministic_and_names_every_entry():
    svg = scatter_svg(ROWS)
    assert svg.startswith("<svg") and svg == scatter_svg(ROWS)
    for name in [*CHANCE, "near-a", "near-b", "Strong model with a long name"]:
        assert svg.count(f">{name}<") == 1, name
    assert "no-top10" not in svg


@pytest.mark.parametrize(("n_cand", "trivial"), [(4, True), (10, True), (11, False), (100, False), (None, False)])
def test_axis_titles_are_the_metric_tables_and_say_when_top10_is_trivial(n_cand, trivial):
    rows = [Row(name=r.name, slug=r.slug, verified=r.verified, paper=None, code=None, submitted=r.submitted,
                figures=r.figures, n_candidates=n_cand) for r in ROWS[:3]]
    x, y = axis_labels(rows)
    assert x == "Accuracy (classification)" and y.startswith("Top-10 (ranking)")
    assert (y == f"Top-10 (ranking): n/a, at most {n_cand} candidates per query") == trivial
    assert ("n/a" in y) == trivial
    fig = scatter_figure(rows)
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == (x, y)
