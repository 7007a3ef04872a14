import re

from nlc.leaderboard.board import init_board
from nlc.leaderboard.entry import Verification, load_entry, save_entry
from nlc.leaderboard.render import render_board, sorted_rows
from nlc.leaderboard.submit import submit_entry


def _fill(board, results_file):
    for seed, name, skill in ((1, "Weak | model", 0.0), (2, "Strong model", 0.6), (3, "Middle", 0.3)):
        submit_entry(results_file(seed=seed, skill=skill), board=board, name=name,
                     code="https://example.org/code" if seed == 2 else None)
    path = board / "submissions" / "strong-model.json"
    entry = load_entry(path)
    ver = Verification(status="verified", checked="2026-01-01T00:00:00Z", model_sha256="0" * 64, score_rtol=1e-4,
                       score_atol=1e-6, n_scores=10, timeout_s=10, memory_mb=100, network="test")
    save_entry(board, entry.model_copy(update={"verification": ver}))


def test_rows_are_sorted_by_top10_then_accuracy(board, results_file):
    _fill(board, results_file)
    rows = sorted_rows(board)
    keys = [(-r.value("top10"), -r.value("accuracy"), r.slug) for r in rows]
    assert keys == sorted(keys) and rows[0].name == "Strong model" and rows[0].verified


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
    assert "ranking top-10 accuracy" in html and "classification accuracy" in html
    assert html.index('id="strong-model"') < html.index('id="middle"')


def test_awaiting_board_renders_its_note(tmp_path):
    init_board(tmp_path / "fma", release="fma")
    render_board(tmp_path / "fma")
    text = (tmp_path / "fma" / "README.md").read_text()
    assert "Awaiting its release" in text and "No entries yet" in text
    assert "<svg" not in (tmp_path / "fma" / "index.html").read_text()
