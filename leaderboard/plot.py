"""The board's plot: ranking (top-10 accuracy) against classification (accuracy).

The two tasks of the paper disagree (section 5.1: CNNs classify better, the Siamese net
with random negatives ranks best), so one scatter shows each entry's trade-off. Error bars
are the stored 95% CIs; filled markers are verified entries, hollow ones are not. Axis titles
are the metric table's (:data:`nlc.benchmark.metrics.METRIC_TABLE`), and when the protocol
makes top-10 trivial (no query has more than 10 candidates) the y axis says so rather than
suggest a ranking skill. Points are drawn, coloured and labelled in the order given: the
board's order (:func:`nlc.leaderboard.columns.board_order`), so the best entry's label is
placed first and keeps the spot nearest its point.

Labels stay readable when entries pile up: entries at the same point (the demo board has six
baselines at chance level) share one label listing their names, one per line, instead of six
labels printed over each other; and a label that would overlap another label is moved to the
first free spot around its point (:func:`place_labels`), with a thin leader line back to it.
``tests/leaderboard/test_plot.py`` checks, on the rendered text extents, that no two labels
overlap.

The SVG is deterministic: fixed ``svg.hashsalt``, no date metadata, text kept as text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nlc.benchmark.metrics import metric_info
from nlc.benchmark.report import NOT_APPLICABLE
from nlc.leaderboard.columns import Row

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

PLOT_X: str = "accuracy"
PLOT_Y: str = "top10"
SAME_POINT_DIGITS: int = 6
"""Entries whose two figures agree to this many decimals are one point and share one label."""
LABEL_GAP_PT: float = 4.0
"""Distance (points) between a point and its label, and between stacked labels."""
_RINGS: int = 12
"""How far out (in label heights) :func:`place_labels` looks for a free spot."""


def _err(row: Row, key: str) -> tuple[float, float]:
    fig = row.figures[key]
    if fig.low is None or fig.high is None:
        return 0.0, 0.0
    return max(fig.value - fig.low, 0.0), max(fig.high - fig.value, 0.0)


def label_groups(rows: Sequence[Row]) -> list[tuple[tuple[float, float], list[str]]]:
    """Entries grouped by point: ``[((x, y), [names...]), ...]``, in first-appearance order.

    Coincident entries get one label, so that their names do not print over each other
    (six chance-level baselines sit on one point of the demo board)."""
    groups: dict[tuple[float, float], list[str]] = {}
    points: dict[tuple[float, float], tuple[float, float]] = {}
    for row in rows:
        x, y = row.figures[PLOT_X].value, row.figures[PLOT_Y].value
        key = (round(x, SAME_POINT_DIGITS), round(y, SAME_POINT_DIGITS))
        points.setdefault(key, (x, y))
        groups.setdefault(key, []).append(row.name)
    return [(points[key], names) for key, names in groups.items()]


def axis_labels(rows: Sequence[Row]) -> tuple[str, str]:
    """(x, y) axis titles: the metric table's titles of :data:`PLOT_X` and :data:`PLOT_Y` with
    their task, the y one marked ``n/a`` when every plotted entry's protocol makes it trivial.

    Parameters
    ----------
    rows : sequence of Row
        The plotted entries (their ``n_candidates`` decide triviality).
    """
    x = f"{metric_info(PLOT_X).title} (classification)"
    y = f"{metric_info(PLOT_Y).title} (ranking)"
    if rows and all(r.trivial(PLOT_Y) for r in rows):
        most = max(r.n_candidates or 0 for r in rows)
        y += f": {NOT_APPLICABLE}, at most {most} candidates per query"
    return x, y


def _candidates(width: float, height: float) -> list[tuple[float, float, str, str]]:
    """Offsets (points) and alignments to try for a label, nearest first: the four corners
    around the point, then further up and down, then further left and right."""
    gap = LABEL_GAP_PT
    spots = [(gap, gap, "left", "bottom"), (gap, -gap, "left", "top"),
             (-gap, gap, "right", "bottom"), (-gap, -gap, "right", "top")]
    for ring in range(1, _RINGS + 1):
        dy = ring * (height + gap)
        dx = ring * (width + gap)
        spots += [(gap, gap + dy, "left", "bottom"), (gap, -gap - dy, "left", "top"),
                  (-gap, gap + dy, "right", "bottom"), (-gap, -gap - dy, "right", "top"),
                  (gap + dx, gap, "left", "bottom"), (-gap - dx, gap, "right", "bottom")]
    return spots


def text_box(label: Annotation, renderer: RendererBase) -> Bbox:
    """Display-space box of a label's text alone (its leader line left out)."""
    from matplotlib.text import Text

    label.update_positions(renderer)
    return Text.get_window_extent(label, renderer)


def place_labels(fig: Figure, labels: Sequence[Annotation]) -> None:
    """Move labels so that no two text boxes overlap, each as near its point as it can be.

    Greedy and deterministic: labels are placed in the order given; each takes the first
    spot of :func:`_candidates` whose text box (measured by the figure's renderer) overlaps
    no label placed before it. A label moved from the default spot (up and right of its point)
    shows a leader line to it. Needs a figure with a canvas that can draw (Agg).
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas has it
    scale = 72.0 / fig.dpi  # display pixels -> points
    placed: list[Bbox] = []
    for label in labels:
        label.set(position=(LABEL_GAP_PT, LABEL_GAP_PT), horizontalalignment="left", verticalalignment="bottom")
        size = text_box(label, renderer)
        spots = _candidates(size.width * scale, size.height * scale)
        chosen = 0
        for k, (dx, dy, ha, va) in enumerate(spots):
            label.set(position=(dx, dy), horizontalalignment=ha, verticalalignment=va)
            if not any(text_box(label, renderer).padded(1.0).overlaps(other) for other in placed):
                chosen = k
                break
        else:  # nowhere free nearby (never seen on a real board): the default spot
            dx, dy, ha, va = spots[0]
            label.set(position=(dx, dy), horizontalalignment=ha, verticalalignment=va)
        if label.arrow_patch is not None:
            label.arrow_patch.set_visible(chosen > 0)
        placed.append(text_box(label, renderer).padded(1.0))


def _labels(ax: Axes, groups: list[tuple[tuple[float, float], list[str]]]) -> list[Annotation]:
    leader = {"arrowstyle": "-", "lw": 0.4, "color": "0.55", "shrinkA": 1, "shrinkB": 3}
    return [ax.annotate("\n".join(names), (x, y), xytext=(LABEL_GAP_PT, LABEL_GAP_PT), textcoords="offset points",
                        fontsize=7, ha="left", va="bottom", linespacing=1.15, arrowprops=leader)
            for (x, y), names in groups]


def scatter_figure(rows: Sequence[Row], *, width_in: float = 7.0, height_in: float = 5.0) -> Figure:
    """The scatter as a matplotlib figure (Agg canvas), labels placed; what :func:`scatter_svg` saves.

    Parameters
    ----------
    rows : sequence of Row
        Entries to plot (those lacking either figure are left out).
    width_in, height_in : float, default 7.0, 5.0
        Figure size in inches.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = [r for r in rows if PLOT_X in r.figures and PLOT_Y in r.figures]
    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, row in enumerate(points):
        x, y = row.figures[PLOT_X].value, row.figures[PLOT_Y].value
        xerr, yerr = _err(row, PLOT_X), _err(row, PLOT_Y)
        color = f"C{i % 10}"
        ax.errorbar([x], [y], xerr=[[xerr[0]], [xerr[1]]], yerr=[[yerr[0]], [yerr[1]]], fmt="o",
                    color=color, mfc=color if row.verified else "white", capsize=2, lw=0.8)
    labels = _labels(ax, label_groups(points))
    xlabel, ylabel = axis_labels(points)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.set_title("filled: verified, hollow: not verified", fontsize=8)
    place_labels(fig, labels)
    fig.tight_layout()  # moves the axes: place again where the labels will be drawn
    place_labels(fig, labels)
    return fig


def scatter_svg(rows: Sequence[Row], *, width_in: float = 7.0, height_in: float = 5.0) -> str:
    """Inline ``<svg>`` element of top-10 accuracy vs classification accuracy (see :func:`scatter_figure`).

    Parameters
    ----------
    rows : sequence of Row
        Entries to plot (those lacking either figure are left out).
    width_in, height_in : float, default 7.0, 5.0
        Figure size in inches (SVG at 72 points per inch).
    """
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "nlc-leaderboard", "svg.fonttype": "none", "font.size": 9,
                                "path.simplify": False}):
        fig = scatter_figure(rows, width_in=width_in, height_in=height_in)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]
