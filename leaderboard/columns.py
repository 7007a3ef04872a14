"""The figures a board shows for each entry, read from its stored results.

The columns are the paper's Table 2 (section 5.1) plus ROC-AUC, which the benchmark adds
because it does not depend on the submission's threshold. Each figure carries the
benchmark's bootstrap interval (95% by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlc.benchmark.metrics import METRIC_TABLE
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

    def value(self, key: str) -> float:
        """The figure's value, or -inf if the entry lacks it (sorts last)."""
        fig = self.figures.get(key)
        return fig.value if fig is not None else float("-inf")


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
    return Row(
        name=entry.name, slug=entry.slug, verified=entry.verified, paper=entry.paper, code=entry.code,
        submitted=entry.submitted, figures=figures, method_accuracy=per_method,
        confidence=intervals.get("confidence"),
    )


METHOD_ORDER: tuple[str, ...] = ("positive", *METHODS)
"""Display order of the per-method columns: ``positive``, then the negative methods in the
paper's order (section 4.1)."""


def method_columns(rows: list[Row]) -> list[str]:
    """Protocol methods present in any row, in :data:`METHOD_ORDER`, then others sorted."""
    present = {m for r in rows for m in r.method_accuracy}
    return [m for m in METHOD_ORDER if m in present] + sorted(present - set(METHOD_ORDER))
