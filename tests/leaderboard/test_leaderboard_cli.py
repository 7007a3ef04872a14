import json
from pathlib import Path

from nlc.cli import build_parser, main
from nlc.leaderboard.board import PUBLIC_BOARD


def test_board_defaults_to_the_users_board_not_the_source_tree(monkeypatch, tmp_path):
    """A wheel has no leaderboard/board/: the default is $NLC_BOARD, else the XDG data folder."""
    monkeypatch.delenv("NLC_BOARD", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    args = build_parser().parse_args(["leaderboard", "submit", "r.json", "--name", "x"])
    assert args.board == tmp_path / "data" / "nlc-bench" / "board" != PUBLIC_BOARD
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert build_parser().parse_args(["leaderboard", "render"]).board == Path.home() / ".local/share/nlc-bench/board"
    monkeypatch.setenv("NLC_BOARD", str(tmp_path / "mine"))
    assert build_parser().parse_args(["leaderboard", "render"]).board == tmp_path / "mine"


def test_init_submit_render_from_the_command_line(tmp_path, tiny_dataset, capsys):
    board = tmp_path / "syn"
    assert main(["leaderboard", "init", "--data", str(tiny_dataset), "--board", str(board),
                 "--release", "synthetic"]) == 0
    assert "protocol" in capsys.readouterr().out
    assert json.loads((board / "board.json").read_text())["release"] == "synthetic"
    assert (board / "README.md").is_file() and (board / "index.html").is_file()


def test_submit_and_refusal_from_the_command_line(board, results_file, capsys):
    good = results_file(seed=5)
    assert main(["leaderboard", "submit", str(good), "--board", str(board), "--name", "Good one",
                 "--paper", "https://example.org/paper"]) == 0
    assert "good-one.json" in capsys.readouterr().out
    assert "Good one" in (board / "README.md").read_text()
    bad = results_file(seed=6)
    raw = json.loads(bad.read_text())
    raw["metrics"]["roc_auc"] = 0.99
    bad.write_text(json.dumps(raw))
    assert main(["leaderboard", "submit", str(bad), "--board", str(board), "--name", "Bad one"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nlc-bench: error:") and "field metrics.roc_auc" in err and len(err.splitlines()) == 1
    assert not (board / "submissions" / "bad-one.json").exists()
    assert main(["leaderboard", "render", "--board", str(board)]) == 0
