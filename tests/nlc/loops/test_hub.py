"""The ``datasets`` view: a build named by its path from anywhere, and pairs joined to their loop audio."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nlc.errors import InputError
from nlc.loops.hub import load, resolve, with_audio
from nlc.loops.reader import open_dataset


@pytest.fixture()
def offline(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return tmp_path / "cache"


def test_names_that_would_fall_back_to_a_stale_cache_are_refused(tiny_dataset: Path, tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("nlc-loops", "./nlc-loops", str(tmp_path / "elsewhere" / "nlc-loops")):
        with pytest.raises(InputError, match="name a local build by its path"):
            resolve(name)
    with pytest.raises(InputError, match="not an nlc-loops build"):
        resolve(tmp_path)
    assert resolve("my-org/nlc-loops") == "my-org/nlc-loops"
    assert resolve(tiny_dataset) == str(tiny_dataset.resolve())
    monkeypatch.chdir(tiny_dataset.parent)
    assert resolve("nlc-loops") == str(tiny_dataset.resolve())


def test_a_rebuilt_folder_is_read_again_not_its_cache(tiny_dataset: Path, tmp_path: Path, offline: Path,
                                                      monkeypatch) -> None:
    from tests.conftest import build_tiny_dataset

    monkeypatch.chdir(tmp_path)
    root = Path(shutil.copytree(tiny_dataset, tmp_path / "a" / "nlc-loops"))
    before = load(root, "cc-by", split="train", cache_dir=str(offline))
    shutil.rmtree(root)
    build_tiny_dataset(root, work_root=tmp_path / "a" / "work2", n_songs=30)  # a newer, bigger build
    after = load(root, "cc-by", split="train", cache_dir=str(offline))
    expected = open_dataset(root).pairs("train", groups=["cc-by"])
    assert len(after) == len(expected) != len(before)
    assert sorted(after["pair_id"]) == list(expected["pair_id"])


def test_with_audio_gives_both_loops_of_every_pair(tiny_dataset: Path, offline: Path) -> None:
    pairs = load(tiny_dataset, "cc-by", split="validation", cache_dir=str(offline))
    loops = load(tiny_dataset, "cc-by-loops", split="validation", cache_dir=str(offline))
    joined = with_audio(pairs, loops)
    reader = open_dataset(tiny_dataset)
    for row in joined.select(range(min(3, len(joined)))):
        for side in ("source", "target"):
            samples = row[f"{side}_audio"].get_all_samples()
            assert samples.sample_rate == 44100
            np.testing.assert_array_equal(samples.data.numpy()[0], reader.loop_audio([row[f"{side}_id"]])[0])
    with pytest.raises(InputError, match="do not hold"):
        with_audio(pairs, load(tiny_dataset, "cc0-loops", split="train", cache_dir=str(offline)))


def test_protocol_loops_decode_bit_exact(tiny_dataset: Path, offline: Path) -> None:
    from datasets import Audio

    loops = load(tiny_dataset, "protocol-loops", split="test", cache_dir=str(offline))
    raw = loops.cast_column("audio", Audio(decode=False))
    reader = open_dataset(tiny_dataset)
    for loop_id, audio in zip(raw["loop_id"], raw["audio"]):
        decoded = sf.read(io.BytesIO(audio["bytes"]), dtype="int16")[0]
        np.testing.assert_array_equal(decoded.astype(np.float32) / 32768, reader.loop_audio([loop_id])[0])
