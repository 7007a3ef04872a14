"""Choosing each system's pick and the groups."""

from __future__ import annotations

import pandas as pd
import pytest

from nlc.errors import InputError
from nlc.listening_test.picks import choose_groups, source_types, system_picks, top_pick, true_targets


def test_top_pick_excludes_the_true_target_and_breaks_ties_by_order():
    ids = ["a", "b", "c", "d"]
    assert top_pick(ids, [0.9, 0.5, 0.7, 0.7], exclude="a") == "c"
    assert top_pick(ids, [0.1, 0.5, 0.2, 0.3], exclude="a") == "b"
    assert top_pick(ids, [float("nan"), 0.1, 0.2, 0.3], exclude="d") == "c"


def test_true_targets_and_system_picks():
    ranking = pd.DataFrame({"query_id": ["q1", "q1", "q2", "q2"], "candidate_id": ["t1", "t2", "t1", "t2"],
                            "label": [1, 0, 0, 1]})
    targets = true_targets(ranking)
    assert targets == {"q1": "t1", "q2": "t2"}
    picks = system_picks({"q1": (["t1", "t2"], [5.0, 1.0]), "q2": (["t1", "t2"], [0.0, 9.0])}, targets, name="m")
    assert picks == {"q1": "t2", "q2": "t1"}
    with pytest.raises(InputError, match="results of 'm' lack ranking query 'q2'"):
        system_picks({"q1": (["t1", "t2"], [1.0, 0.0])}, targets, name="m")
    with pytest.raises(InputError, match="query 'q1' does not have exactly one true target"):
        true_targets(ranking.assign(label=[1, 1, 0, 1]))


def test_role_mapping_documents_the_paper_types():
    assert source_types({"a": "drum", "b": "bass", "c": "other", "d": "vocal"}) == {"a": "drum", "c": "melody", "d": "vocal"}


def test_groups_are_seeded_and_per_type():
    types = {f"d{i}": "drum" for i in range(10)} | {f"m{i}": "melody" for i in range(10)} | {"v0": "vocal"}
    chosen, notes = choose_groups(types, per_type=2, seed=5)
    assert [t for _, t in chosen] == ["drum", "drum", "vocal", "melody", "melody"]
    assert chosen == choose_groups(types, per_type=2, seed=5)[0]
    assert chosen != choose_groups(types, per_type=2, seed=6)[0]
    assert notes == ["vocal: 1 eligible source loop(s), 2 asked (needs a vocal-aware role backend)"]
    with pytest.raises(InputError, match="no source loop of type"):
        choose_groups({"b": "bass"}, per_type=2)
