"""Markdown renderings of result files: the figures of one or more models, with intervals.

Plain functions returning strings, so the CLI prints them and the docs and the Table 2
reproduction reuse them. Figures are rounded like the paper (two decimals, one for the
average rank); the 95% interval follows in brackets. A top-k figure reads ``n/a`` when no
query has more than k candidates: every target then ranks within the top k, so every model
scores 1.00 and the cell would only suggest a ranking skill that was never measured.
"""

from __future__ import annotations

from collections.abc import Sequence

from nlc.benchmark.results import BenchmarkResults

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("accuracy", "Accuracy", 2), ("f1", "F1", 2), ("roc_auc", "ROC-AUC", 2),
    ("average_rank", "Avg. rank", 1), ("top10", "Top 10", 2), ("top30", "Top 30", 2), ("top50", "Top 50", 2),
)
"""(metric field, column title, decimals) of the summary table."""
NOT_APPLICABLE: str = "n/a"
"""Cell text of a figure that the protocol makes trivial (see :func:`top_k_trivial`)."""


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
    """One row per result file: model and every figure of Table 2 plus ROC-AUC (trivial top-k: n/a)."""
    rows = []
    for r in results:
        cells = [r.model.name]
        for field, _, decimals in COLUMNS:
            if top_k_trivial(field, r.dataset.n_candidates):
                cells.append(NOT_APPLICABLE)
                continue
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
