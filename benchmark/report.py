"""Markdown renderings of result files: the figures of one or more models, with intervals.

Plain functions returning strings, so the CLI prints them and the docs and the Table 2
reproduction reuse them. Titles and decimals come from the benchmark's one table of figures,
:data:`nlc.benchmark.metrics.METRIC_TABLE` (three decimals, one for the average rank, as on
the leaderboard), so the run summary and the board read a figure the same way; the 95%
interval follows in brackets. A top-k figure reads ``n/a`` when no query has more than k
candidates: every target then ranks within the top k, so every model scores 1.00 and the
cell would only suggest a ranking skill that was never measured. The leaderboard applies
the same rule through :func:`top_k_trivial` and :func:`not_applicable_note`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from nlc.benchmark.metrics import METRIC_TABLE, MetricInfo, metric_info

if TYPE_CHECKING:  # annotations only: the leaderboard imports this module without the results schema
    from nlc.benchmark.results import BenchmarkResults

COLUMNS: tuple[MetricInfo, ...] = METRIC_TABLE
"""Figures of the summary table, in display order: the benchmark's metric table itself
(``key``, ``title``, ``digits``), not a copy of it."""
NOT_APPLICABLE: str = "n/a"
"""Cell text of a figure that the protocol makes trivial (see :func:`top_k_trivial`)."""
METHOD_DIGITS: int = metric_info("accuracy").digits
"""Decimals of an accuracy per protocol method: it is an accuracy, so it reads like one."""


def top_k_cutoff(field: str) -> int | None:
    """The k of a top-k figure's key (``"top30"`` -> 30); None for any other figure."""
    if field.startswith("top") and field[3:].isdigit():
        return int(field[3:])
    return None


def top_k_trivial(field: str, n_candidates: int) -> bool:
    """True when ``field`` is a top-k figure and no query has more than k candidates.

    The target then always ranks within the top k, so the figure is 1.00 for every model,
    random included: it measures the protocol's size, not the model.
    """
    k = top_k_cutoff(field)
    return k is not None and n_candidates <= k


def trivial_fields(n_candidates: Iterable[int | None]) -> list[str]:
    """Keys of the top-k figures trivial for every given protocol size, in table order.

    Parameters
    ----------
    n_candidates : iterable of int or None
        Candidates per query of each result shown together (None: unknown, never trivial).
        A column reads ``n/a`` throughout only when it is trivial for all of them, so only
        such a column is explained once under the table rather than cell by cell.
    """
    given = list(n_candidates)
    sizes = [int(n) for n in given if n is not None]
    if not sizes or len(sizes) != len(given):
        return []
    return [m.key for m in METRIC_TABLE if all(top_k_trivial(m.key, n) for n in sizes)]


def not_applicable_note(n_candidates: Iterable[int | None]) -> str | None:
    """One line saying why top-k columns read ``n/a``, or None when none does.

    Shared by the run summary and the leaderboard so that a reader meets the same reason,
    with the same titles (:data:`~nlc.benchmark.metrics.METRIC_TABLE`), wherever the cell appears.

    Parameters
    ----------
    n_candidates : iterable of int or None
        Candidates per query of each result shown (``dataset.n_candidates``).
    """
    sizes = list(n_candidates)
    trivial = trivial_fields(sizes)
    if not trivial:
        return None
    titles = ", ".join(metric_info(key).title for key in trivial)
    largest = max(int(n) for n in sizes if n is not None)
    return (f"{NOT_APPLICABLE}: {titles}, because no query has more than {largest} candidates, "
            "so every target ranks within the cut-off and every entry scores 1.00.")


def fmt(value: float, decimals: int, interval: tuple[float, float] | None = None) -> str:
    """``0.61`` or, with an interval, ``0.61 [0.58, 0.64]``."""
    text = f"{value:.{decimals}f}"
    if interval is not None:
        text += f" [{interval[0]:.{decimals}f}, {interval[1]:.{decimals}f}]"
    return text


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table (numeric-looking columns right-aligned)."""
    def numeric(col: int) -> bool:
        cells = [str(r[col]).lstrip("*") for r in rows if str(r[col]) != NOT_APPLICABLE]
        return bool(rows) and all(c[:1] != "" and c[:1] in "0123456789-+[" for c in cells) and any(
            c[:1].isdigit() or c[:2] in ("-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9", "+0", "+1") for c in cells)

    align = ["---:" if numeric(i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def summary_table(results: Sequence[BenchmarkResults], *, intervals: bool = True) -> str:
    """One row per result file: model and every figure of :data:`COLUMNS` (trivial top-k: n/a).

    Titles and decimals are the metric table's, so this table and the leaderboard agree.
    """
    rows = []
    for r in results:
        cells = [r.model.name]
        for info in COLUMNS:
            if top_k_trivial(info.key, r.dataset.n_candidates):
                cells.append(NOT_APPLICABLE)
                continue
            ci = getattr(r.intervals, info.key) if intervals else None
            cells.append(fmt(getattr(r.metrics, info.key), info.digits, (ci.low, ci.high) if ci else None))
        rows.append(cells)
    return markdown_table(["Model", *(info.title for info in COLUMNS)], rows)


def method_table(results: Sequence[BenchmarkResults], *, intervals: bool = True) -> str:
    """Classification accuracy per protocol method (rows) for each model (columns)."""
    methods = sorted({m for r in results for m in r.metrics.method_accuracy})
    rows = []
    for m in methods:
        cells = [m]
        for r in results:
            if m not in r.metrics.method_accuracy:
                cells.append(NOT_APPLICABLE)
                continue
            ci = r.intervals.method_accuracy.get(m) if intervals else None
            cells.append(fmt(r.metrics.method_accuracy[m], METHOD_DIGITS, (ci.low, ci.high) if ci else None))
        rows.append(cells)
    return markdown_table(["Method", *(r.model.name for r in results)], rows)


def run_report(result: BenchmarkResults) -> str:
    """What ``nlc-bench run`` prints: the summary and per-method tables and the run's identity.

    Under the summary, a line says why a top-k column reads ``n/a`` (:func:`not_applicable_note`),
    so a reader of a small protocol is not left guessing.
    """
    d = result.dataset
    note = not_applicable_note([d.n_candidates])
    return "\n".join([
        f"## {result.model.name} on protocol {d.protocol_version} ({d.content_hash[:12]})",
        "",
        f"{d.n_classification} classification pairs, {d.n_queries} ranking queries x {d.n_candidates} candidates; "
        f"THRESHOLD {result.model.threshold:g}; ranked by {result.model.ranking_by}; "
        f"{int(result.intervals.confidence * 100)}% bootstrap intervals ({result.intervals.n_resamples} resamples, "
        f"seed {result.intervals.seed}); wall time {result.timing.wall_time_s:.1f} s.",
        "",
        summary_table([result]),
        *(["", note] if note else []),
        "",
        "Accuracy per method:",
        "",
        method_table([result]),
    ])
