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

from nlc.leaderboard.board import CONFIG_NAME, DEFAULT_BOARD, load_board
from nlc.leaderboard.checks import check_entry
from nlc.leaderboard.entry import entry_files
from nlc.leaderboard.render import render_board

REPO = Path(__file__).resolve().parents[2]


def committed_boards() -> list[Path]:
    """Boards in the working tree that git tracks or would track (ignored folders left out)."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", f"*{CONFIG_NAME}"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
        found = {(REPO / p).parent for p in out if Path(p).name == CONFIG_NAME}
    except (OSError, subprocess.CalledProcessError):
        found = {p.parent for p in (REPO / "leaderboard").rglob(CONFIG_NAME)}
    found.add(DEFAULT_BOARD)
    return sorted(b for b in found if (b / "submissions").is_dir())


BOARDS = committed_boards()
ENTRIES = [(board, path) for board in BOARDS for path in entry_files(board)]


def test_the_public_board_is_the_fma_release():
    assert DEFAULT_BOARD in BOARDS
    assert load_board(DEFAULT_BOARD).release == "fma"


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: str(b.relative_to(REPO)))
def test_board_config_and_rendering_are_current(board, tmp_path):
    config = load_board(board)
    if config.awaiting:
        assert not entry_files(board), f"{board}: entries on a board that awaits its release"
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


@pytest.mark.parametrize(("board", "path"), ENTRIES, ids=[str(p.relative_to(REPO)) for _, p in ENTRIES])
def test_committed_entry_passes_every_check(board, path):
    check_entry(path, board=board)
