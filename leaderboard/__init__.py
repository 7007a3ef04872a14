"""The public leaderboard: boards of benchmark results that can be trusted, verified and rendered.

A *board* (:mod:`nlc.leaderboard.board`) belongs to one frozen protocol release; entries
(:mod:`nlc.leaderboard.entry`) are result files that passed every check of
:mod:`nlc.leaderboard.checks`; :mod:`nlc.leaderboard.verify` re-runs a model in a sandbox
and :mod:`nlc.leaderboard.render` writes the board's README.md and index.html.

The two calls the demo uses are re-exported lazily (importing this package stays cheap)::

    from nlc.leaderboard import submit_entry, render_board
"""

from __future__ import annotations

from typing import Any

__all__ = ["submit_entry", "render_board", "init_board", "verify_entry"]
_LAZY = {
    "submit_entry": "nlc.leaderboard.submit",
    "render_board": "nlc.leaderboard.render",
    "init_board": "nlc.leaderboard.board",
    "verify_entry": "nlc.leaderboard.verify",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nlc.leaderboard' has no attribute {name!r}")
