"""Fixtures of the leaderboard tests (helpers in ``leaderboard_fixtures.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from leaderboard_fixtures import PROTOCOL, protocol_tables, results_for, write_board

from nlc.benchmark import results as R


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    return protocol_tables()


@pytest.fixture
def board(tmp_path: Path, tables) -> Path:
    return write_board(tmp_path / "board", *tables, protocol=PROTOCOL)


@pytest.fixture
def results_file(tmp_path: Path, tables) -> Callable[..., Path]:
    """Factory: ``results_file(seed=0, **kw) -> Path`` of a saved result file for ``tables``."""

    def make(seed: int = 0, name: str | None = None, **kw) -> Path:
        res = results_for(*tables, protocol=kw.pop("protocol", PROTOCOL), seed=seed, **kw)
        return R.save_results(res, tmp_path / f"{name or f'results{seed}'}.json")

    return make
