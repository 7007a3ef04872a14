"""Rendering a board: board order by the main score, the metric table's titles and decimals,
trivial top-k figures as n/a (the run summary's and Table 2's rule), deterministic output."""

import ast
import re
from pathlib import Path

import pytest
from leaderboard_fixtures import PROTOCOL, protocol_tables, results_for, write_board

from nlc.benchmark import results as R
from nlc.benchmark.metrics import MAIN_SCORE, METRIC_TABLE, metric_info
from nlc.leaderboard.board import init_board
from nlc.leaderboard.columns import Figure, Row, board_order, order_key, order_line
from nlc.leaderboard.entry import Verification, load_entry, save_entry
from nlc.leaderboard.render import render_board, sorted_rows
from nlc.leaderboard.submit import submit_entry

LEADERBOARD = Path(__file__).resolve().parents[2] / "leaderboard"


def _fill(board, results_file):
    for seed, name, skill in ((1, "Weak | model", 0.0), (2, "Strong model", 0.6), (3, "Middle", 0.3)):
        submit_entry(results_file(seed=seed, skill=skill), board=board, name=name,
                     code="https://example.org/code" if seed == 2 else None)
    path = board / "submissions" / "strong-model.json"
    entry = load_entry(path)
    ver = Verification(status="verified", checked="2026-01-01T00:00:00Z", model_sha256="0" * 64, score_rtol=1e-4,
                       score_atol=1e-6, n_scores=10, timeout_s=10, memory_mb=100, network="test")
    save_entry(board, entry.model_copy(update={"verification": ver}))


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of a rendered README's entries table."""
    block = next(b.splitlines() for b in text.split("\n\n") if b.startswith("| # |"))
    cells = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in block]
    return cells[0], cells[2:]


def test_rows_are_ordered_by_the_main_score_with_deterministic_ties(board, results_file):
    """ROC-AUC decides, not top-10; equal ROC-AUC goes to the better average rank, then the name."""
    entries = [  # (file, name, classification skill, ranking skill, ranking seed, model hash)
        ("classifies", "Classifies well", 0.6, 0.0, 11, "1"),       # best ROC-AUC, poor ranking
        ("ranks", "Ranks well", 0.0, 1.0, 12, "2"),                # poor ROC-AUC, best top-10
        ("tie", "Tie, ranks better", 0.6, 1.0, 13, "3"),           # same ROC-AUC as the first
        ("twin", "A twin of the tie", 0.6, 1.0, 13, "4"),          # every figure the same as "tie"
    ]
    for stem, name, skill, ranking_skill, ranking_seed, sha in entries:
        path = results_file(seed=5, name=stem, skill=skill, ranking_skill=ranking_skill, ranking_seed=ranking_seed,
                            sha256=sha * 64)
        submit_entry(path, board=board, name=name)
    rows = sorted_rows(board)
    assert [r.name for r in rows] == ["A twin of the tie", "Tie, ranks better", "Classifies well", "Ranks well"]
    by_name = {r.name: r for r in rows}
    assert by_name["Classifies well"].value(MAIN_SCORE) == by_name["Tie, ranks better"].value(MAIN_SCORE)
    assert by_name["Tie, ranks better"].value("average_rank") < by_name["Classifies well"].value("average_rank")
    assert by_name["Ranks well"].value("top10") > by_name["Classifies well"].value("top10")  # top-10 does not lead
    assert by_name["Ranks well"].value(MAIN_SCORE) < by_name["Classifies well"].value(MAIN_SCORE)
    assert sorted_rows(board) == rows  # deterministic


def _row(name: str, **values: float) -> Row:
    return Row(name=name, slug=name.lower(), verified=False, paper=None, code=None, submitted="2026-01-01",
               figures={k: Figure(v) for k, v in values.items()})


def test_order_key_follows_each_figures_direction_and_puts_missing_last():
    rows = [_row("b", roc_auc=0.7, average_rank=3.0), _row("a", roc_auc=0.7, average_rank=3.0),
            _row("c", roc_auc=0.7, average_rank=2.0), _row("d", roc_auc=0.9, average_rank=9.0),
            _row("e", average_rank=1.0), _row("f", roc_auc=0.7)]
    assert [r.name for r in board_order(rows)] == ["d", "c", "a", "b", "f", "e"]
    assert [r.name for r in board_order(reversed(rows))] == ["d", "c", "a", "b", "f", "e"]
    assert order_key(rows[0]) == (-0.7, 3.0, "b", "b")  # lower average rank is better: not negated


def test_header_says_which_figure_orders_the_board_and_why(board, results_file):
    _fill(board, results_file)
    render_board(board)
    text, page = (board / "README.md").read_text(), (board / "index.html").read_text()
    line = order_line()
    assert f"{line}\n" in text and line.count("\n") == 0
    assert line.startswith(f"Ordered by **{metric_info(MAIN_SCORE).title}** (higher is better)")
    assert "threshold-free" in line and "Avg. rank" in line
    assert "<strong>ROC-AUC</strong> (higher is better), the benchmark&#x27;s main score: threshold-free" in page
    assert "top-10" not in text.split("| # |")[0].lower()  # the old order is not claimed any more


def test_columns_are_the_metric_table(board, results_file):
    _fill(board, results_file)
    render_board(board)
    head, body = _table((board / "README.md").read_text())
    titles = [m.title for m in METRIC_TABLE]
    assert head == ["#", "Model", "Verified", *titles, "Links", "Submitted"]
    for info in METRIC_TABLE:
        cell = body[0][3 + titles.index(info.title)]
        d = info.digits
        assert re.fullmatch(rf"\d+\.\d{{{d}}} \[\d+\.\d{{{d}}}, \d+\.\d{{{d}}}\]", cell), (info.key, cell)


def test_leaderboard_code_keeps_no_copy_of_the_metric_titles():
    """Titles are read from METRIC_TABLE: no string literal in the leaderboard repeats one."""
    titles = {m.title for m in METRIC_TABLE} | {"Top 10", "Top 30", "Top 50", "F1 score", "Average rank"}
    for path in sorted(LEADERBOARD.glob("*.py")):
        literals = {n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)}
        assert not literals & titles, f"{path.name} repeats {sorted(literals & titles)}"


@pytest.mark.parametrize(("n_cand", "trivial"), [
    (4, ["top10", "top30", "top50"]),  # a small synthetic protocol: every top-k is 1.00 for everyone
    (40, ["top50"]),                   # more than 30 candidates, not more than 50
    (100, []),                         # every top-k measures something
])
def test_trivial_top_k_reads_na_on_the_board(tmp_path, n_cand, trivial):
    cls, rank = protocol_tables(n_queries=6, n_cand=n_cand)
    board = write_board(tmp_path / "b", cls, rank, protocol=PROTOCOL)
    for seed, skill in ((1, 0.0), (2, 0.5)):
        res = results_for(cls, rank, protocol=PROTOCOL, seed=seed, skill=skill, n_resamples=50)
        assert res.dataset.n_candidates == n_cand
        submit_entry(R.save_results(res, tmp_path / f"r{seed}.json"), board=board, name=f"model {seed}")
    assert all(r.n_candidates == n_cand for r in sorted_rows(board))
    render_board(board)
    text, page = (board / "README.md").read_text(), (board / "index.html").read_text()
    head, body = _table(text)
    for info in METRIC_TABLE:
        column = [row[head.index(info.title)] for row in body]
        assert (column == ["n/a", "n/a"]) == (info.key in trivial), (info.key, column)
        assert all(c == "n/a" or re.match(r"\d", c) for c in column)
    note = [line for line in text.splitlines() if line.startswith("n/a: ")]
    if trivial:
        titles = ", ".join(metric_info(k).title for k in trivial)
        assert note == [f"n/a: {titles}, because no query has more than {n_cand} candidates, so every target "
                        "ranks within the cut-off and every entry scores 1.00."]
    else:
        assert note == [] and "n/a" not in text
    assert page.count("<td>n/a</td>") == 2 * len(trivial)
    assert ("Top-10 (ranking): n/a, at most 4 candidates per query" in page) == (n_cand == 4)  # the plot's y axis


def test_render_is_deterministic_and_complete(board, results_file):
    _fill(board, results_file)
    render_board(board)
    readme, page = (board / "README.md").read_bytes(), (board / "index.html").read_bytes()
    render_board(board)
    assert (board / "README.md").read_bytes() == readme and (board / "index.html").read_bytes() == page
    text = readme.decode()
    blocks = [b.splitlines() for b in text.split("\n\n")]
    table = next(b for b in blocks if b[0].startswith("| # |"))
    table = [table[0]] + table[2:]
    assert len(table) == 1 + 3 and "Top-10" in table[0] and "Avg. rank" in table[0]
    methods = next(b for b in blocks if b[0].startswith("| Model |"))
    assert methods[0] == "| Model | positive | random | selected | reverse | shift | rearrange |"
    assert len(methods) == 2 + 3
    assert "| 1 | Strong model | ✓ |" in table[1] and "[code](https://example.org/code)" in table[1]
    assert "Weak \\| model" in text  # a pipe in a name cannot break the table
    assert re.search(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", table[1])  # value [CI]
    html = page.decode()
    assert html.count("<tr id=") == 3 and "<svg" in html and "per protocol method" in html and "Weak | model" in html
    assert "Top-10 (ranking)" in html and "Accuracy (classification)" in html
    assert html.index('id="strong-model"') < html.index('id="middle"')


def test_awaiting_board_renders_its_note(tmp_path):
    init_board(tmp_path / "fma", release="fma")
    render_board(tmp_path / "fma")
    text = (tmp_path / "fma" / "README.md").read_text()
    assert "Awaiting its release" in text and "No entries yet" in text
    assert "<svg" not in (tmp_path / "fma" / "index.html").read_text()
