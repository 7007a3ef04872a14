"""Markdown renderings of result files: the figures of one or more models, with intervals.

Plain functions returning strings, so the CLI prints them and the docs and the Table 2
reproduction reuse them. Figures are rounded like the paper (two decimals, one for the
average rank); the 95% interval follows in brackets.
"""

from __future__ import annotations

from collections.abc import Sequence

from nlc.benchmark.results import BenchmarkResults

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("accuracy", "Accuracy", 2), ("f1", "F1", 2), ("roc_auc", "ROC-AUC", 2),
    ("average_rank", "Avg. rank", 1), ("top10", "Top 10", 2), ("top30", "Top 30", 2), ("top50", "Top 50", 2),
)
"""(metric field, column title, decimals) of the summary table."""


def fmt(value: float, decimals: int, interval: tuple[float, float] | None = None) -> str:
    """``0.61`` or, with an interval, ``0.61 [0.58, 0.64]``."""
    text = f"{value:.{decimals}f}"
    if interval is not None:
        text += f" [{interval[0]:.{decimals}f}, {interval[1]:.{decimals}f}]"
    return text


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table (numeric-looking columns right-aligned)."""
    def numeric(col: int) -> bool:
        cells = [str(r[col]).lstrip("*") for r in rows]
        return bool(rows) and all(c[:1] != "" and c[:1] in "0123456789-+[" for c in cells) and any(
            c[:1].isdigit() or c[:2] in ("-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9", "+0", "+1") for c in cells)

    align = ["---:" if numeric(i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def summary_table(results: Sequence[BenchmarkResults], *, intervals: bool = True) -> str:
    """One row per result file: model and every figure of Table 2 plus ROC-AUC."""
    rows = []
    for r in results:
        cells = [r.model.name]
        for field, _, decimals in COLUMNS:
            ci = getattr(r.intervals, field) if intervals else None
            cells.append(fmt(getattr(r.metrics, field), decimals, (ci.low, ci.high) if ci else None))
        rows.append(cells)
    return markdown_table(["Model", *(title for _, title, _ in COLUMNS)], rows)


def method_table(results: Sequence[BenchmarkResults], *, intervals: bool = True) -> str:
    """Classification accuracy per protocol method (rows) for each model (columns)."""
    methods = sorted({m for r in results for m in r.metrics.method_accuracy})
    rows = []
    for m in methods:
        cells = [m]
        for r in results:
            if m not in r.metrics.method_accuracy:
                cells.append("n/a")
                continue
            ci = r.intervals.method_accuracy.get(m) if intervals else None
            cells.append(fmt(r.metrics.method_accuracy[m], 2, (ci.low, ci.high) if ci else None))
        rows.append(cells)
    return markdown_table(["Method", *(r.model.name for r in results)], rows)


def run_report(result: BenchmarkResults) -> str:
    """What ``nlc-bench run`` prints: the summary and per-method tables and the run's identity."""
    d = result.dataset
    return "\n".join([
        f"## {result.model.name} on protocol {d.protocol_version} ({d.content_hash[:12]})",
        "",
        f"{d.n_classification} classification pairs, {d.n_queries} ranking queries x {d.n_candidates} candidates; "
        f"THRESHOLD {result.model.threshold:g}; ranked by {result.model.ranking_by}; "
        f"{int(result.intervals.confidence * 100)}% bootstrap intervals ({result.intervals.n_resamples} resamples, "
        f"seed {result.intervals.seed}); wall time {result.timing.wall_time_s:.1f} s.",
        "",
        summary_table([result]),
        "",
        "Accuracy per method:",
        "",
        method_table([result]),
    ])
