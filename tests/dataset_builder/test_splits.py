"""Splits follow paper section 3.1: one pair per test song, 4:1 by song, no song straddles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nlc.dataset_builder.build.splits import SPLIT_RULE, assign_splits, effective_n_test, n_validation_songs
from nlc.errors import InputError


def _pairs(n_songs: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_songs):
        for p in range(int(rng.integers(1, 6))):
            rows.append({"pair_id": f"{s:06d}/pair{p:02d}", "song_id": f"{s:06d}"})
    return pd.DataFrame(rows)


def test_paper_sized_corpus():
    pairs = _pairs(800)
    split = assign_splits(pairs, seed=7)
    assert split.index.equals(pairs.index)
    test = pairs[split == "test"]
    assert len(test) == 100 and test["song_id"].nunique() == 100
    # the test songs' other pairs are left out, so no song straddles splits
    left_out = pairs[split.isna()]
    assert set(left_out["song_id"]) <= set(test["song_id"])
    songs_per_split = {name: set(pairs.loc[split == name, "song_id"]) for name in ("train", "validation", "test")}
    assert not songs_per_split["train"] & songs_per_split["validation"]
    assert not songs_per_split["test"] & (songs_per_split["train"] | songs_per_split["validation"])
    n_val, n_train = len(songs_per_split["validation"]), len(songs_per_split["train"])
    assert n_val + n_train == 700 and n_val == 140  # 4:1 by song
    assert set(split.dropna()) == {"train", "validation", "test"}


def test_same_seed_same_splits_independent_of_row_order():
    pairs = _pairs(120)
    a = assign_splits(pairs, seed=3)
    shuffled = pairs.sample(frac=1.0, random_state=1)
    b = assign_splits(shuffled, seed=3)
    pd.testing.assert_series_equal(a, b.loc[a.index])
    assert not a.equals(assign_splits(pairs, seed=4))


def test_small_corpus_gets_a_smaller_test_set():
    assert effective_n_test(3508) == 100
    assert effective_n_test(120) == 24
    assert effective_n_test(4) == 0
    assert effective_n_test(1000, n_test=10) == 10
    split = assign_splits(_pairs(12), seed=0)
    assert (split == "test").sum() == 2


def test_tiny_corpora():
    one = pd.DataFrame({"pair_id": ["a", "b"], "song_id": ["1", "1"]})
    assert list(assign_splits(one, seed=0)) == ["train", "train"]
    two = pd.DataFrame({"pair_id": ["a", "b"], "song_id": ["1", "2"]})
    assert sorted(assign_splits(two, seed=0)) == ["train", "validation"]


def test_validation_floor_only_for_small_corpora():
    # paper size and anything with >= 8 non-test songs: plain 4:1
    assert n_validation_songs(700) == 140 and n_validation_songs(8) == 2 and n_validation_songs(10) == 2
    assert n_validation_songs(12) == 2 and n_validation_songs(13) == 3
    # 3..7 non-test songs: two validation songs, so between-song negatives have another song
    assert [n_validation_songs(n) for n in range(8)] == [0, 0, 1, 2, 2, 2, 2, 2]
    with pytest.raises(InputError, match="n_rest"):
        n_validation_songs(-1)
    assert "rest / 5" in SPLIT_RULE and "at least 2" in SPLIT_RULE


@pytest.mark.parametrize("n_songs, expected", [(4, (2, 2, 0)), (5, (2, 2, 1)), (6, (3, 2, 1)), (9, (6, 2, 1)), (10, (6, 2, 2))])
def test_small_corpus_splits_and_freezes(n_songs, expected):
    from nlc.loops.protocol_tables import freeze_classification, freeze_ranking

    pairs = _pairs(n_songs, seed=n_songs)
    split = assign_splits(pairs, seed=0)
    songs = tuple(pairs.loc[split == name, "song_id"].nunique() for name in ("train", "validation", "test"))
    assert songs == expected
    # the frozen protocol's between-song negatives exist: the build no longer fails
    loops = pairs.assign(source_id=pairs["pair_id"] + "a", target_id=pairs["pair_id"] + "b",
                         source_role="other", target_role="other", split=split)
    table = freeze_classification(loops, seed=0)
    assert len(table) == 2 * int((split == "validation").sum())
    other = table[table["method"].isin(["random", "selected"])]
    assert (other["candidate_id"].str[:6] != other["query_id"].str[:6]).all()
    assert len(freeze_ranking(loops, seed=0)) == expected[2] ** 2


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"pair_id": ["a"]}), "lacks column"),
        (pd.DataFrame({"pair_id": ["a", "a"], "song_id": ["1", "2"]}), "more than once"),
        (pd.DataFrame({"pair_id": ["a", None], "song_id": ["1", "2"]}), "missing pair_id"),
    ],
)
def test_bad_tables_are_rejected(frame, match):
    with pytest.raises(InputError, match=match):
        assign_splits(frame, seed=0)


def test_no_derivatives_songs_stay_in_train():
    """Songs that may not be adapted never reach the frozen protocol; the split sizes are the corpus's."""
    pairs = _pairs(200)
    nd = {f"{s:06d}" for s in range(0, 200, 4)}
    split = assign_splits(pairs, seed=5, train_only=nd)
    assert set(split[pairs["song_id"].isin(nd)]) == {"train"}
    assert (split == "test").sum() == 40 and pairs.loc[split == "validation", "song_id"].nunique() == 32
    unrestricted = assign_splits(pairs, seed=5)
    assert assign_splits(pairs, seed=5, train_only=()).equals(unrestricted)  # nothing to keep: as before
    kept = ~pairs["song_id"].isin(nd) & unrestricted.isin(["test", "validation"])
    assert (split[kept] == unrestricted[kept]).mean() > 0.5  # mostly the same draw, the gaps refilled
