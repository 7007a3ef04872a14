"""The frozen protocol tables (paper section 5.1): composition, determinism, hash, audio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nlc.loops.protocol_tables import (
    PROTOCOL_VERSION,
    freeze_classification,
    freeze_ranking,
    row_recipe,
    method_counts,
    protocol_hash,
    validate_table,
)
from nlc.loops.layout import PROTOCOL_COLUMNS
from nlc.loops.negatives import METHODS, apply_recipe, rearrange, reverse, shift
from nlc.dataset_builder.build.splits import assign_splits
from nlc.errors import InputError

ROLES = ("drum", "bass", "other", "other")


def _pairs(n_songs: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_songs):
        song = f"{s:06d}"
        n_loops = int(rng.integers(2, 5))
        loops = [(f"{song}/loop{i:02d}", ROLES[(s + i) % 4]) for i in range(n_loops)]
        for a in range(n_loops):
            for b in range(a + 1, n_loops):
                rows.append({"pair_id": f"{song}/{a}-{b}", "song_id": song, "source_id": loops[a][0],
                             "target_id": loops[b][0], "source_role": loops[a][1], "target_role": loops[b][1]})
    pairs = pd.DataFrame(rows)
    pairs["split"] = assign_splits(pairs, seed=seed)
    return pairs


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    return _pairs(600)


@pytest.fixture(scope="module")
def tables(pairs):
    return freeze_classification(pairs, seed=1), freeze_ranking(pairs, seed=1)


def test_classification_composition(pairs, tables):
    cls, _ = tables
    assert list(cls.columns) == list(PROTOCOL_COLUMNS)
    val = pairs[pairs["split"] == "validation"]
    pos, neg = cls[cls["label"] == 1], cls[cls["label"] == 0]
    assert len(pos) == len(neg) == len(val)  # 1:1
    assert set(zip(pos["query_id"], pos["candidate_id"])) == set(zip(val["source_id"], val["target_id"]))
    assert (pos["method"] == "positive").all()
    counts = neg["method"].value_counts().to_dict()
    assert counts == {m: c for m, c in method_counts(len(val)).items() if c}
    assert max(counts.values()) - min(counts.values()) <= 1  # equal shares
    song_of = dict(zip(pd.concat([val["source_id"], val["target_id"]]), pd.concat([val["song_id"], val["song_id"]])))
    role_of = dict(zip(pd.concat([val["source_id"], val["target_id"]]), pd.concat([val["source_role"], val["target_role"]])))
    for row in neg.itertuples():
        assert row.query_id in song_of
        if row.method in ("random", "selected"):
            assert song_of[row.candidate_id] != song_of[row.query_id]  # validation loop, other song
            assert row.method == "random" or role_of[row.candidate_id] == "other"
        else:
            assert song_of[row.candidate_id] == song_of[row.query_id]
        assert (row.shift_beats in (1, 2, 3) if row.method == "shift" else pd.isna(row.shift_beats))
        assert (len(row.permutation) == 4) == (row.method == "rearrange")


def test_method_counts_spread_the_remainder():
    assert method_counts(12) == {"random": 3, "selected": 3, "reverse": 2, "shift": 2, "rearrange": 2}
    assert sum(method_counts(3195).values()) == 3195


def test_ranking_composition(pairs, tables):
    _, rank = tables
    test = pairs[pairs["split"] == "test"]
    assert len(test) == 100
    assert len(rank) == 100 * 100 and rank["query_id"].nunique() == 100
    true_target = dict(zip(test["source_id"], test["target_id"]))
    for query, group in rank.groupby("query_id"):
        assert set(group["candidate_id"]) == set(test["target_id"])  # its target + the 99 others
        assert group.loc[group["label"] == 1, "candidate_id"].tolist() == [true_target[query]]
    first = rank.groupby("query_id")["label"].first()
    assert first.sum() < 10  # candidates are shuffled: the true target is rarely first
    assert (rank["method"] == "candidate").all()


def test_ranking_subsamples_larger_test_sets():
    big = _pairs(40)
    rank = freeze_ranking(big, seed=0, n_candidates=5)
    n_test = (big["split"] == "test").sum()
    assert len(rank) == n_test * 5
    assert (rank.groupby("query_id")["label"].sum() == 1).all()


def test_deterministic_given_seed(pairs, tables):
    cls, rank = tables
    pd.testing.assert_frame_equal(cls, freeze_classification(pairs.sample(frac=1.0, random_state=3), seed=1))
    pd.testing.assert_frame_equal(rank, freeze_ranking(pairs, seed=1))
    assert not cls.equals(freeze_classification(pairs, seed=2))
    assert protocol_hash(cls, rank) != protocol_hash(freeze_classification(pairs, seed=2), rank)


def test_hash_survives_parquet_and_row_order(tables, tmp_path):
    cls, rank = tables
    digest = protocol_hash(cls, rank)
    assert len(digest) == 64 and PROTOCOL_VERSION == "1.0"
    for name, table in (("c", cls), ("r", rank)):
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp_path / f"{name}.parquet")
    back_c = pq.read_table(tmp_path / "c.parquet").to_pandas()
    back_r = pq.read_table(tmp_path / "r.parquet").to_pandas()
    assert protocol_hash(back_c, back_r) == digest
    assert protocol_hash(cls.iloc[::-1], rank.sample(frac=1.0, random_state=0)) == digest
    tampered = cls.copy()
    tampered.loc[tampered["method"] == "shift", "shift_beats"] = tampered.loc[tampered["method"] == "shift", "shift_beats"] % 3 + 1
    assert protocol_hash(tampered, rank) != digest


def test_validate_rejects_broken_tables(tables):
    cls, rank = tables
    bad = cls.copy()
    bad.loc[bad.index[1], "label"] = 1
    with pytest.raises(InputError, match="label"):
        validate_table(bad, task="classification")
    bad = cls.copy()
    i = bad.index[bad["method"] == "rearrange"][0]
    bad.at[i, "permutation"] = [0, 1, 2, 3]
    with pytest.raises(InputError, match="identity"):
        validate_table(bad, task="classification")
    with pytest.raises(InputError, match="lacks column"):
        validate_table(rank.drop(columns="permutation"), task="ranking")
    bad = rank.copy()
    bad.loc[bad["label"] == 1, "label"] = 0
    with pytest.raises(InputError, match="true targets"):
        validate_table(bad, task="ranking")
    with pytest.raises(InputError, match="task is"):
        validate_table(rank.assign(task="classification"), task="ranking")


def test_row_recipe_names_each_rows_transform(tables):
    cls, rank = tables
    rng = np.random.default_rng(0)
    rows = pd.concat([cls[cls["method"] == m].head(2) for m in ("positive", *METHODS)] + [rank.head(3)])
    cand = rng.standard_normal(88200).astype(np.float32)
    for row in rows.itertuples():
        recipe = row_recipe(row.method, row.shift_beats, row.permutation)
        got = cand if recipe is None else apply_recipe(recipe, cand)
        expected = {"reverse": lambda: reverse(cand), "shift": lambda: shift(cand, beats=int(row.shift_beats)),
                    "rearrange": lambda: rearrange(cand, permutation=row.permutation)}.get(row.method, lambda: cand)()
        np.testing.assert_array_equal(got, expected)
    assert row_recipe("shift", np.int64(2), np.array([])).shift_beats == 2
    assert row_recipe("rearrange", pd.NA, np.array([1, 0, 3, 2])).permutation == (1, 0, 3, 2)
    assert row_recipe("random", None, None) is None and row_recipe("candidate", None, None) is None


def test_bad_pairs_are_rejected(pairs):
    with pytest.raises(InputError, match="lacks column"):
        freeze_classification(pairs.drop(columns="target_role"), seed=0)
    with pytest.raises(InputError, match="no 'validation' pair"):
        freeze_classification(pairs[pairs["split"] == "train"], seed=0)
    dup = pairs.copy()
    test_rows = dup.index[dup["split"] == "test"]
    dup.loc[test_rows[1], "song_id"] = dup.loc[test_rows[0], "song_id"]
    with pytest.raises(InputError, match="more than one test pair"):
        freeze_ranking(dup, seed=0)
    empty = freeze_ranking(pairs[pairs["split"] != "test"], seed=0)
    assert empty.empty and list(empty.columns) == list(PROTOCOL_COLUMNS)
