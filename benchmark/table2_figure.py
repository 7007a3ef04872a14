"""Table 2 as a dot-and-interval plot: every figure of every entry with its 95% interval.

A table of point figures invites reading the third decimal; the reader of a benchmark
needs to see which differences the test set can resolve. One panel per figure (accuracy,
F1, ROC-AUC, average rank, top-k: :data:`nlc.benchmark.metrics.METRIC_TABLE`), one row per
Table 2 entry in the table's order: the dot is the point figure, the bar its bootstrap
interval as stored in the results, and the shaded band the random baseline's interval, so
an entry whose dot lies inside the band is not distinguishable from the floor. A diamond
marks a column's best entry where a paired test separates it from the runner-up (the bold
of the markdown table, :func:`nlc.benchmark.reproduce.column_tests`). A top-k panel is left
out when no query has more than k candidates (every entry would score 1.00); the caption
names what was left out.

Drawn on a bare :class:`matplotlib.figure.Figure` (no pyplot, so no global backend switch
and nothing left open) under matplotlib's default style, so a user's ``matplotlibrc``
cannot change the picture, and saved without the ``Software`` text chunk: the same inputs
give the same PNG bytes with the same matplotlib and fonts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nlc.benchmark.metrics import METRIC_TABLE, MetricInfo
from nlc.benchmark.report import top_k_cutoff, top_k_trivial
from nlc.benchmark.results import BenchmarkResults
from nlc.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI: int = 150
"""Resolution of the PNG."""
FLOOR_COLOR: str = "0.85"
"""Grey of the random baseline's band."""


def shown_figures(results: Sequence[BenchmarkResults | None]) -> list[MetricInfo]:
    """The figures that get a panel: all of :data:`METRIC_TABLE` but trivial top-k ones.

    A top-k figure is shown when at least one entry was scored on a protocol with more
    than k candidates per query (see :func:`nlc.benchmark.report.top_k_trivial`).
    """
    done = [r for r in results if r is not None]
    return [m for m in METRIC_TABLE if any(not top_k_trivial(m.key, r.dataset.n_candidates) for r in done)]


def _limits(spans: list[tuple[float, float]]) -> tuple[float, float]:
    """x range holding every interval and dot, padded so that none sits on the frame.

    Zoomed to the data rather than the figure's full range (0-1): the intervals of a few
    hundred items are a few hundredths wide and would be invisible on the full scale.
    """
    low = min(lo for lo, _ in spans)
    high = max(hi for _, hi in spans)
    pad = 0.08 * (high - low) if high > low else 0.05 * max(abs(high), 1.0)
    return low - pad, high + pad


def table2_figure(
    labels: Sequence[str],
    results: Sequence[BenchmarkResults | None],
    *,
    groups: Sequence[str] | None = None,
    floor: int | None = None,
    best: Mapping[str, int] | None = None,
    title: str = "Table 2, nlc-bench reproduction",
) -> Figure:
    """Draw the dot-and-interval figure (see the module docstring).

    Parameters
    ----------
    labels : sequence of str
        Row label of each entry, top to bottom.
    results : sequence of BenchmarkResults or None
        Each entry's results, None for a failed entry (its row stays, empty, marked failed).
    groups : sequence of str or None, default None
        Colour group of each row (the model: every CNN row shares a colour); None: one colour.
    floor : int or None, default None
        Index of the random baseline, whose interval is shaded in every panel; None: no band.
    best : mapping of figure key -> row index, optional
        Rows to mark as the separated best of a figure.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per :func:`shown_figures` entry (``fig.axes``), each titled with the
        figure's title; nothing else is an axes.

    Raises
    ------
    InputError
        If ``labels``, ``results`` and ``groups`` differ in length, or ``floor`` or a
        ``best`` index is out of range.
    """
    from matplotlib import style
    from matplotlib.figure import Figure

    n = len(labels)
    if len(results) != n or (groups is not None and len(groups) != n):
        raise InputError(f"{n} labels for {len(results)} results and {len(groups) if groups else 0} groups")
    best = dict(best or {})
    for index in [*best.values(), *([floor] if floor is not None else [])]:
        if not 0 <= index < n:
            raise InputError(f"row index {index} outside 0..{n - 1}")
    done = [r for r in results if r is not None]
    panels = shown_figures(results)
    group_names = list(dict.fromkeys(groups if groups is not None else ["all"] * n))
    colour_of = {g: f"C{k % 10}" for k, g in enumerate(group_names)}
    floor_res = results[floor] if floor is not None else None

    with style.context("default"):
        fig = Figure(figsize=(2.2 * max(len(panels), 1) + 2.4, 0.3 * n + 1.9), layout="constrained")
        if not panels:
            fig.text(0.5, 0.5, "no entry could be scored", ha="center", va="center")
            return fig
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        for ax, info in zip(axes, panels, strict=True):
            spans = []
            if floor_res is not None and not top_k_trivial(info.key, floor_res.dataset.n_candidates):
                band = getattr(floor_res.intervals, info.key)
                ax.axvspan(band.low, band.high, color=FLOOR_COLOR, zorder=0, linewidth=0)
                spans.append((band.low, band.high))
            for row, res in enumerate(results):
                if res is None or top_k_trivial(info.key, res.dataset.n_candidates):
                    continue
                value, ci = getattr(res.metrics, info.key), getattr(res.intervals, info.key)
                colour = colour_of[groups[row] if groups is not None else "all"]
                ax.hlines(row, ci.low, ci.high, color=colour, linewidth=2.0, zorder=2)
                if best.get(info.key) == row:
                    ax.plot([value], [row], marker="D", markersize=7, color=colour, markeredgecolor="black", zorder=3)
                else:
                    ax.plot([value], [row], marker="o", markersize=5, color=colour, zorder=3)
                spans.append((min(ci.low, value), max(ci.high, value)))
            if spans:
                ax.set_xlim(*_limits(spans))
            ax.set_title(info.title, fontsize=10)
            ax.set_xlabel("lower is better (1 = best)" if not info.higher_is_better else "higher is better",
                          fontsize=8)
            ax.tick_params(axis="x", labelsize=8)
            ax.grid(axis="x", color="0.9", linewidth=0.6, zorder=0)
            ax.set_axisbelow(True)
        axes[0].set_yticks(range(n), [label + ("  (failed)" if r is None else "") for label, r in
                                      zip(labels, results, strict=True)], fontsize=8)
        axes[0].set_ylim(n - 0.5, -0.5)  # first entry on top, as in the table
        fig.suptitle(title, fontsize=11)
        fig.supxlabel(_caption(done, panels, floor_res is not None, bool(best)), fontsize=7.5)
    return fig


def _caption(done: list[BenchmarkResults], panels: list[MetricInfo], band: bool, marked: bool) -> str:
    """What the marks mean, the interval settings, and which top-k panels were left out."""
    first = done[0].intervals
    parts = [f"dot: point figure; bar: {first.confidence:.0%} bootstrap interval ({first.n_resamples} resamples)"]
    if band:
        parts.append("grey band: the random baseline's interval")
    if marked:
        parts.append("diamond: best, separated from the runner-up by a paired test (bold in the tables)")
    lines = ["; ".join(parts) + "."]
    shown = {m.key for m in panels}
    left_out = [m.title for m in METRIC_TABLE if top_k_cutoff(m.key) is not None and m.key not in shown]
    if left_out:
        most = max(r.dataset.n_candidates for r in done)
        lines.append(f"{', '.join(left_out)} not shown: no query has more than {most} candidates, "
                     "so every entry scores 1.00.")
    return "\n".join(lines)


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG at :data:`DPI` without metadata that varies; returns the path."""
    from matplotlib import style

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with style.context("default"):
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path
