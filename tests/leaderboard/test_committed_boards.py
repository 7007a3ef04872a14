"""Every board committed to the repository, and every entry on it, passes the submit checks.

This is what makes CI reject a bad submission: an entry whose figures its per-item
outputs do not support, that belongs to another protocol release, whose file was edited
after submission, or a board whose rendered README.md/index.html is stale.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nlc.leaderboard.board import CONFIG_NAME, PUBLIC_BOARD, load_board
from nlc.leaderboard.checks import check_entry
from nlc.leaderboard.entry import entry_files
from nlc.leaderboard.render import render_board
from nlc.leaderboard.submit import submit_entry

REPO = Path(__file__).resolve().parents[2]


def committed_boards() -> list[Path]:
    """Boards in the working tree that git tracks or would track (ignored folders left out)."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", f"*{CONFIG_NAME}"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
        found = {(REPO / p).parent for p in out if Path(p).name == CONFIG_NAME}
    except (OSError, subprocess.CalledProcessError):
        found = {p.parent for p in (REPO / "leaderboard").rglob(CONFIG_NAME)}
    found.add(PUBLIC_BOARD)
    return sorted(b for b in found if (b / "submissions").is_dir())


BOARDS = committed_boards()


def check_committed_board(board: Path) -> int:
    """Every entry of ``board`` passes submit's checks; a board bound to a release must have
    entries, one awaiting its release must have none. Returns the number of entries."""
    entries = entry_files(board)
    if load_board(board).awaiting:
        assert not entries, f"{board}: entries on a board that awaits its release"
        return 0
    assert entries, f"{board}: bound to its release but holds no entry: submit the baselines' results"
    for path in entries:
        check_entry(path, board=board)
    return len(entries)


def test_the_public_board_is_the_fma_release():
    assert PUBLIC_BOARD in BOARDS
    assert load_board(PUBLIC_BOARD).release == "fma"


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: str(b.relative_to(REPO)))
def test_board_config_and_rendering_are_current(board, tmp_path):
    copy = tmp_path / "board"
    shutil.copytree(board, copy)
    render_board(copy)
    for name in ("README.md", "index.html"):
        assert (board / name).is_file(), f"{board / name} missing: run `nlc-bench leaderboard render`"
        # The plot's SVG text depends on the matplotlib version; everything else must match.
        committed, fresh = (re.sub(r"<svg.*?</svg>", "<svg/>", (d / name).read_text(), flags=re.S)
                            for d in (board, copy))
        assert committed == fresh, (
            f"{board / name} is stale: run `nlc-bench leaderboard render --board {board.relative_to(REPO)}`")


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: str(b.relative_to(REPO)))
def test_committed_entries_pass_every_check(board):
    check_committed_board(board)


def test_the_committed_board_check_fails_on_a_bound_board_without_entries(board, results_file):
    with pytest.raises(AssertionError, match="holds no entry"):
        check_committed_board(board)
    submit_entry(results_file(seed=1), board=board, name="Some model")
    assert check_committed_board(board) == 1
