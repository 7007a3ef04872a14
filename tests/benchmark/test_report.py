"""Markdown renderings: the metric table's titles and decimals, trivial top-k figures read n/a
(with one line saying why), and n/a keeps a column numeric."""

import ast
import re
from pathlib import Path

import pytest

from nlc.benchmark import report
from nlc.benchmark.metrics import METRIC_TABLE, metric_info
from nlc.benchmark.report import (
    markdown_table, method_table, not_applicable_note, run_report, summary_table, top_k_cutoff, top_k_trivial,
    trivial_fields,
)


@pytest.mark.parametrize(("field", "n_candidates", "trivial"), [
    ("top10", 10, True),   # 10 candidates: every target is within the top 10
    ("top10", 11, False),
    ("top50", 22, True),
    ("average_rank", 2, False),
    ("accuracy", 1, False),
])
def test_top_k_is_trivial_when_no_query_has_more_than_k_candidates(field, n_candidates, trivial):
    assert top_k_trivial(field, n_candidates) is trivial


def test_top_k_cutoff():
    assert top_k_cutoff("top30") == 30 and top_k_cutoff("top") is None and top_k_cutoff("roc_auc") is None


def test_summary_table_reads_na_for_trivial_top_k(make_results):
    line = summary_table([make_results(seed=0, n_cand=20)], intervals=False).splitlines()[2]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[-3] != "n/a" and cells[-2:] == ["n/a", "n/a"]  # top10 measured; top30, top50 trivial


def test_na_cells_do_not_unalign_a_numeric_column():
    table = markdown_table(["a", "b"], [["x", "0.50"], ["y", "n/a"]]).splitlines()
    assert table[1] == "| --- | ---: |"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_summary_table_takes_titles_and_decimals_from_the_metric_table(make_results):
    assert report.COLUMNS is METRIC_TABLE  # the table itself, not a copy
    lines = summary_table([make_results(seed=0, n_cand=100)]).splitlines()
    assert _cells(lines[0]) == ["Model", *(m.title for m in METRIC_TABLE)]
    for info, cell in zip(METRIC_TABLE, _cells(lines[2])[1:]):
        d = info.digits
        assert re.fullmatch(rf"-?\d+\.\d{{{d}}} \[-?\d+\.\d{{{d}}}, -?\d+\.\d{{{d}}}\]", cell), (info.key, cell)
    method_cell = _cells(method_table([make_results(seed=0)]).splitlines()[2])[1]
    assert re.fullmatch(rf"\d\.\d{{{metric_info('accuracy').digits}}} \[.*\]", method_cell)


def test_report_code_keeps_no_copy_of_the_metric_titles():
    titles = {m.title for m in METRIC_TABLE} | {"Top 10", "Top 30", "Top 50", "F1 score", "Average rank"}
    literals = {n.value for n in ast.walk(ast.parse(Path(report.__file__).read_text())) if isinstance(n, ast.Constant)}
    assert not literals & titles


@pytest.mark.parametrize(("sizes", "trivial"), [
    ([4], ["top10", "top30", "top50"]),
    ([20], ["top30", "top50"]),
    ([40, 30], ["top50"]),        # a column is n/a throughout only when it is trivial for every result
    ([4, 100], []),
    ([100], []),
    ([], []),
    ([4, None], []),              # an unknown size is never called trivial
])
def test_trivial_fields_and_their_note(sizes, trivial):
    assert trivial_fields(sizes) == trivial
    note = not_applicable_note(sizes)
    if trivial:
        titles = ", ".join(metric_info(k).title for k in trivial)
        largest = max(n for n in sizes if n is not None)
        assert note == (f"n/a: {titles}, because no query has more than {largest} candidates, so every target "
                        "ranks within the cut-off and every entry scores 1.00.")
    else:
        assert note is None


@pytest.mark.parametrize(("n_cand", "na_titles"), [(4, "Top-10, Top-30, Top-50"), (20, "Top-30, Top-50"), (100, None)])
def test_run_report_says_why_a_column_reads_na(make_results, n_cand, na_titles):
    text = run_report(make_results(seed=0, n_cand=n_cand))
    summary = text.split("Accuracy per method:")[0]
    if na_titles is None:
        assert "n/a" not in summary
    else:
        assert f"\n\nn/a: {na_titles}, because no query has more than {n_cand} candidates" in summary
        row = _cells(next(line for line in summary.splitlines() if line.startswith("| m |")))
        assert row.count("n/a") == na_titles.count("Top-")
