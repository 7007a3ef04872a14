"""The board's plot: ranking (top-10 accuracy) against classification (accuracy).

The two tasks of the paper disagree (section 5.1: CNNs classify better, the Siamese net
with random negatives ranks best), so one scatter shows each entry's trade-off. Error bars
are the stored 95% CIs; filled markers are verified entries, hollow ones are not.

The SVG is deterministic: fixed ``svg.hashsalt``, no date metadata, text kept as text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from nlc.leaderboard.columns import Row

PLOT_X: str = "accuracy"
PLOT_Y: str = "top10"


def _err(row: Row, key: str) -> tuple[float, float]:
    fig = row.figures[key]
    if fig.low is None or fig.high is None:
        return 0.0, 0.0
    return max(fig.value - fig.low, 0.0), max(fig.high - fig.value, 0.0)


def scatter_svg(rows: Sequence[Row], *, width_in: float = 7.0, height_in: float = 5.0) -> str:
    """Inline ``<svg>`` element of top-10 accuracy vs classification accuracy.

    Parameters
    ----------
    rows : sequence of Row
        Entries to plot (those lacking either figure are left out).
    width_in, height_in : float, default 7.0, 5.0
        Figure size in inches (SVG at 72 points per inch).
    """
    import matplotlib

    from matplotlib.figure import Figure

    points = [r for r in rows if PLOT_X in r.figures and PLOT_Y in r.figures]
    with matplotlib.rc_context({"svg.hashsalt": "nlc-leaderboard", "svg.fonttype": "none", "font.size": 9,
                                "path.simplify": False}):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot()
        for i, row in enumerate(points):
            x, y = row.figures[PLOT_X].value, row.figures[PLOT_Y].value
            xerr, yerr = _err(row, PLOT_X), _err(row, PLOT_Y)
            color = f"C{i % 10}"
            ax.errorbar([x], [y], xerr=[[xerr[0]], [xerr[1]]], yerr=[[yerr[0]], [yerr[1]]], fmt="o",
                        color=color, mfc=color if row.verified else "white", capsize=2, lw=0.8)
            ax.annotate(row.name, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
        ax.set_xlabel("classification accuracy")
        ax.set_ylabel("ranking top-10 accuracy")
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.set_title("filled: verified, hollow: not verified", fontsize=8)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]
