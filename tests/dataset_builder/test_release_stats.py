"""``dataset stats``: Table 1 recomputed from the shards, overall and per license group."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from nlc.cli import main
from nlc.dataset_builder.release.stats import dataset_tables, table1
from nlc.loops.reader import open_dataset


def test_table1_adds_up_and_matches_protocol_json(tiny_dataset: Path) -> None:
    tables = dataset_tables(open_dataset(tiny_dataset))
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    names = {"Training set": "train", "Validation set": "validation", "Test set": "test", "Σ": "total"}
    for name, table in tables.items():
        counts = info["counts"]["splits"] if name == "all" else info["counts"]["groups"][name]
        for row, split in names.items():
            assert tuple(table.loc[row]) == (counts[split]["loops"], counts[split]["pairs"], counts[split]["songs"])
        # song-disjoint splits: every column of the three split rows sums to the total
        assert (table.iloc[:3].sum() == table.loc["Σ"]).all()
    assert set(tables) == {"all", "cc-by", "cc-by-nc-sa", "cc0"}
    test = tables["all"].loc["Test set"]
    assert test["# loops"] == 2 * test["# loop pairs"] == 2 * test["# songs"]


def test_table1_counts_distinct_loops() -> None:
    pairs = pd.DataFrame({
        "split": ["train", "train", "test"], "song_id": ["1", "1", "2"],
        "source_id": ["1/a", "1/a", "2/a"], "target_id": ["1/b", "1/c", "2/b"],
    })
    table = table1(pairs)
    assert tuple(table.loc["Training set"]) == (3, 2, 1)
    assert tuple(table.loc["Σ"]) == (5, 3, 2)
    assert tuple(table.loc["Validation set"]) == (0, 0, 0)


def test_stats_command_prints_every_group(tiny_dataset: Path, capsys) -> None:
    assert main(["dataset", "stats", str(tiny_dataset), "--verify"]) == 0
    out = capsys.readouterr().out
    for title in ("All license groups", "License group cc-by", "License group cc-by-nc-sa", "License group cc0"):
        assert title in out
    assert "# loop pairs" in out and "Σ" in out
