"""The figures a board shows for each entry, read from its stored results, and the board's order.

The columns are the paper's Table 2 (section 5.1) plus ROC-AUC, which the benchmark adds
because it does not depend on the submission's threshold. Each figure carries the
benchmark's bootstrap interval (95% by default). Titles, decimals and directions are the
benchmark's one metric table (:data:`nlc.benchmark.metrics.METRIC_TABLE`), and a top-k
figure that the board's protocol makes trivial reads ``n/a`` by the rule of the run summary
and Table 2 (:func:`nlc.benchmark.report.top_k_trivial`), so a figure reads the same on the
board as wherever else the benchmark prints it.

Board order (:func:`board_order`): the benchmark's main score
(:data:`nlc.benchmark.metrics.MAIN_SCORE`, ROC-AUC; why it is the main score:
:attr:`nlc.benchmark.results.Metrics.main_score`), best first; ties by average rank (best
first), then name, then slug, so the order never depends on file order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from nlc.benchmark.metrics import MAIN_SCORE, METRIC_TABLE, metric_info
from nlc.benchmark.report import top_k_trivial
from nlc.leaderboard.entry import Entry
from nlc.loops.negatives import METHODS


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    digits: int
    higher_is_better: bool = True


COLUMNS: tuple[Column, ...] = tuple(Column(m.key, m.title, m.digits, m.higher_is_better) for m in METRIC_TABLE)
"""Table columns, in display order (``key`` is the field of the benchmark's ``Metrics``): the
benchmark's one metric table, :data:`nlc.benchmark.metrics.METRIC_TABLE`."""


@dataclass(frozen=True)
class Figure:
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Row:
    """One entry as displayed."""

    name: str
    slug: str
    verified: bool
    paper: str | None
    code: str | None
    submitted: str
    figures: dict[str, Figure] = field(default_factory=dict)
    method_accuracy: dict[str, Figure] = field(default_factory=dict)
    confidence: float | None = None
    n_candidates: int | None = None
    """Candidates per query of the entry's protocol (``dataset.n_candidates``); None if unknown."""

    def value(self, key: str) -> float:
        """The figure's value, or -inf if the entry lacks it."""
        fig = self.figures.get(key)
        return fig.value if fig is not None else float("-inf")

    def trivial(self, key: str) -> bool:
        """True when ``key`` is a top-k figure this entry's protocol makes 1.00 for every model.

        Shown as ``n/a`` (see :func:`nlc.benchmark.report.top_k_trivial`); an unknown
        candidate count is never called trivial.
        """
        return self.n_candidates is not None and top_k_trivial(key, self.n_candidates)


def row_of(entry: Entry) -> Row:
    """Display row of an entry (figures and intervals from its stored results)."""
    metrics = entry.results.get("metrics", {})
    intervals = entry.results.get("intervals", {})
    figures = {}
    for column in COLUMNS:
        if column.key in metrics:
            ci = intervals.get(column.key) or {}
            figures[column.key] = Figure(float(metrics[column.key]), ci.get("low"), ci.get("high"))
    method_cis = intervals.get("method_accuracy") or {}
    per_method = {
        str(m): Figure(float(v), (method_cis.get(m) or {}).get("low"), (method_cis.get(m) or {}).get("high"))
        for m, v in (metrics.get("method_accuracy") or {}).items()
    }
    n_candidates = (entry.results.get("dataset") or {}).get("n_candidates")
    return Row(
        name=entry.name, slug=entry.slug, verified=entry.verified, paper=entry.paper, code=entry.code,
        submitted=entry.submitted, figures=figures, method_accuracy=per_method,
        confidence=intervals.get("confidence"),
        n_candidates=int(n_candidates) if isinstance(n_candidates, int) else None,
    )


ORDER_BY: tuple[str, ...] = (MAIN_SCORE, "average_rank")
"""Figures that order a board, most significant first: the main score, then the average rank
to break its ties (each in its own direction, from the metric table); then name and slug."""
ORDER_REASON: str = ("the benchmark's main score: threshold-free, so it does not depend on the "
                     "THRESHOLD each submission picks, and 0.5 is chance whatever the class balance")
"""Why the board is ordered by the main score, in the words its header uses (one clause;
the full reasoning is :attr:`nlc.benchmark.results.Metrics.main_score`)."""


def order_key(row: Row) -> tuple[float | str, ...]:
    """Sort key of a row in board order (ascending sort puts the best entry first).

    Each figure of :data:`ORDER_BY` is negated when higher is better, so that an ascending
    sort is best first in every direction; a figure the entry lacks (or a NaN) sorts after
    every real value. Name, then slug (unique on a board) make the order total.
    """
    key: list[float | str] = []
    for name in ORDER_BY:
        fig = row.figures.get(name)
        if fig is None or math.isnan(fig.value):
            key.append(math.inf)
        else:
            key.append(-fig.value if metric_info(name).higher_is_better else fig.value)
    return (*key, row.name, row.slug)


def board_order(rows: Iterable[Row]) -> list[Row]:
    """Rows sorted by :func:`order_key`: main score best first, ties by average rank, name, slug."""
    return sorted(rows, key=order_key)


def order_line() -> str:
    """The board header's one line saying which figure orders it and why.

    Titles come from the metric table, so renaming a figure there renames it here.
    """
    main, tie = (metric_info(k) for k in ORDER_BY)
    return (f"Ordered by **{main.title}** ({'higher' if main.higher_is_better else 'lower'} is better), "
            f"{ORDER_REASON}; ties by {tie.title} ({'higher' if tie.higher_is_better else 'lower'} is better), "
            "then name.")


METHOD_ORDER: tuple[str, ...] = ("positive", *METHODS)
"""Display order of the per-method columns: ``positive``, then the negative methods in the
paper's order (section 4.1)."""


def method_columns(rows: list[Row]) -> list[str]:
    """Protocol methods present in any row, in :data:`METHOD_ORDER`, then others sorted."""
    present = {m for r in rows for m in r.method_accuracy}
    return [m for m in METHOD_ORDER if m in present] + sorted(present - set(METHOD_ORDER))
