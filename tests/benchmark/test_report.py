"""Markdown renderings: trivial top-k figures read n/a, and n/a keeps a column numeric."""

import pytest

from nlc.benchmark.report import markdown_table, summary_table, top_k_cutoff, top_k_trivial


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
