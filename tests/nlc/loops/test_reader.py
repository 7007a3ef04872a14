"""The reader: pair tables without audio, exact loop audio, hash-checked protocol."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from nlc.loops.reader import DatasetInfo, open_dataset
from nlc.errors import InputError, IntegrityError


def test_open_and_info(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    assert isinstance(ds.info, DatasetInfo)
    assert ds.root == tiny_dataset
    assert ds.groups == ("cc-by", "cc-by-nc-sa", "cc0")
    assert len(ds.info.content_hash) == 64 and ds.info.seed == 7
    with pytest.raises(InputError, match="not an nlc-loops folder"):
        open_dataset(tiny_dataset.parent)


def test_pairs_have_no_audio_and_are_song_disjoint(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    songs = {}
    for split in ("train", "validation", "test"):
        pairs = ds.pairs(split)
        assert "source_audio" not in pairs and "target_audio" not in pairs
        assert list(pairs["pair_id"]) == sorted(pairs["pair_id"])
        assert len(pairs) == ds.info.counts["splits"][split]["pairs"]
        songs[split] = set(pairs["song_id"])
    assert not songs["train"] & songs["validation"] and not songs["test"] & (songs["train"] | songs["validation"])
    only = ds.pairs("train", groups=["cc0"])
    assert set(only["license"]) == {"cc0"} and len(only) == ds.info.counts["groups"]["cc0"]["train"]["pairs"]
    nc_sa = ds.info.counts["groups"]["cc-by-nc-sa"]["validation"]["pairs"]
    assert len(ds.pairs("validation", groups="cc-by-nc-sa")) == nc_sa  # 0 rows in this fixture: still a frame
    assert list(ds.pairs("test", groups="cc-by")["license"].unique()) == ["cc-by"]
    with pytest.raises(InputError, match="license group"):
        ds.pairs("train", groups=["cc-by-nd"])
    with pytest.raises(InputError, match="unknown split"):
        ds.pairs("dev")


def test_loop_audio_is_the_recorded_loop(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset, cache_loops=3)
    loops = ds.loops()
    assert loops["loop_id"].is_unique and set(loops["role"]) <= {"drum", "bass", "other"}
    ids = list(loops["loop_id"][::5])
    audio = ds.loop_audio(ids)
    assert audio.shape == (len(ids), 88200) and audio.dtype == np.float32
    work = tiny_dataset.with_name(tiny_dataset.name + ".work")
    for loop_id, got in zip(ids, audio):
        song, local = loop_id.split("/")
        expected, sr = sf.read(work / "songs" / song / "loops" / f"{local}.wav", dtype="float32")
        assert sr == 44100
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(ds.loop_audio(ids[::-1]), audio[::-1])  # order kept, via the cache
    with pytest.raises(InputError, match="no loop"):
        ds.loop_audio(["999999/loop00"])


def test_protocol_tables(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    cls, rank = ds.classification(), ds.ranking()
    assert len(cls) == 2 * ds.info.counts["splits"]["validation"]["pairs"]
    assert set(cls["method"]) <= {"positive", "random", "selected", "reverse", "shift", "rearrange"}
    n_test = ds.info.counts["splits"]["test"]["pairs"]
    assert len(rank) == n_test * n_test and rank.groupby("query_id")["label"].sum().eq(1).all()
    test_loops = set(ds.loops("test")["loop_id"])
    assert set(rank["query_id"]) | set(rank["candidate_id"]) <= test_loops


def _copy(tiny_dataset: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_dataset, tmp_path / "nlc-loops"))


def test_tampered_protocol_is_named(tiny_dataset: Path, tmp_path: Path) -> None:
    root = _copy(tiny_dataset, tmp_path)
    path = root / "protocol" / "ranking-00000-of-00001.parquet"
    table = pq.read_table(path)
    labels = table.column("label").to_pylist()
    flipped = pa.array([1 - v for v in labels], type=table.schema.field("label").type)
    pq.write_table(table.set_column(table.schema.get_field_index("label"), "label", flipped), path)
    ds = open_dataset(root, verify=False)
    with pytest.raises(IntegrityError, match="ranking-00000-of-00001.parquet"):
        ds.classification()  # both tables are checked together
    with pytest.raises(IntegrityError, match="ranking-00000-of-00001.parquet"):
        ds.ranking()
    with pytest.raises(IntegrityError, match="ranking-00000-of-00001.parquet"):
        open_dataset(root)


def test_tampered_shard_is_named(tiny_dataset: Path, tmp_path: Path) -> None:
    root = _copy(tiny_dataset, tmp_path)
    shard = next((root / "data").rglob("train-*.parquet"))
    with shard.open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(IntegrityError, match=shard.name):
        open_dataset(root)


def test_a_corrupt_loop_read_without_verification_is_one_line_naming_it(tiny_dataset: Path, tmp_path: Path) -> None:
    root = _copy(tiny_dataset, tmp_path)
    shard = next((root / "loops").rglob("train-*.parquet"))
    table = pq.read_table(shard)
    audio = table.column("audio").to_pylist()
    audio[0] = {"bytes": b"fLaC" + b"\x00" * 64, "path": audio[0]["path"]}
    pq.write_table(table.set_column(table.schema.get_field_index("audio"), "audio",
                                    pa.array(audio, type=table.schema.field("audio").type)), shard)
    with pytest.raises(IntegrityError, match="content differs"):
        open_dataset(root)
    ds = open_dataset(root, verify=False)
    first = table.column("loop_id")[0].as_py()
    with pytest.raises(InputError, match=f"loop {first}: unreadable loop audio"):
        ds.loop_audio([first])
