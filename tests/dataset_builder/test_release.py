"""The released folder: layout, schemas, card, determinism and loading with ``datasets``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from nlc.dataset_builder.build.license_groups import HUB_LICENSE
from nlc.loops.layout import (
    PAIR_COLUMNS, PROTOCOL_COLUMNS, encode_wav, fingerprint, shard_name,
)
from nlc.errors import InputError
from nlc.provenance import file_sha256


def _all_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _card(root: Path) -> tuple[dict, str]:
    text = (root / "README.md").read_text()
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def test_folder_layout_matches_architecture(tiny_dataset: Path) -> None:
    files = _all_files(tiny_dataset)
    assert {"README.md", "protocol.json", "build_report.json"} <= set(files)
    assert "protocol/classification-00000-of-00001.parquet" in files
    assert "protocol/ranking-00000-of-00001.parquet" in files
    data = [f for f in files if f.startswith("data/")]
    assert data and all(f.split("/")[1] in HUB_LICENSE for f in data)
    assert all(f.split("/")[2].split("-")[0] in ("train", "validation", "test") for f in data)
    assert shard_name("train", 0, 1) == "train-00000-of-00001.parquet"


def test_pair_and_protocol_schemas(tiny_dataset: Path) -> None:
    shard = next((tiny_dataset / "data").rglob("train-*.parquet"))
    schema = pq.read_schema(shard)
    assert tuple(schema.names) == PAIR_COLUMNS
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert features["source_audio"] == {"sampling_rate": 44100, "_type": "Audio"}
    assert str(schema.field("source_audio").type) == "struct<bytes: binary, path: string>"
    table = pq.read_table(shard)
    wav = table.column("target_audio")[0].as_py()["bytes"]
    assert wav[:4] == b"RIFF" and wav[20:22] == b"\x01\x00" and wav[34:36] == b"\x10\x00"  # PCM, 16 bit
    rows = table.column("pair_id").to_pylist()
    assert rows == sorted(rows)
    proto = pq.read_schema(tiny_dataset / "protocol/classification-00000-of-00001.parquet")
    assert tuple(proto.names) == PROTOCOL_COLUMNS
    assert str(proto.field("permutation").type.value_type) == "int32"


def test_card_configs_and_licenses(tiny_dataset: Path) -> None:
    meta, body = _card(tiny_dataset)
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(configs) == set(info["groups"]) | {"protocol"}
    assert meta["license"] == [HUB_LICENSE[g] for g in info["groups"]]
    for group, splits in info["data_files"].items():
        assert [f["split"] for f in configs[group]["data_files"]] == [s for s in ("train", "validation", "test") if s in splits]
    assert [f["split"] for f in configs["protocol"]["data_files"]] == ["classification", "ranking"]
    for group in info["groups"]:
        assert f"| `{group}` | `{HUB_LICENSE[group]}` |" in body
    assert "@inproceedings{chen2020neural" in body and "Attribution" in body


def test_protocol_json_records_hashes(tiny_dataset: Path) -> None:
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    for key in ("protocol_version", "content_hash", "dataset_fingerprint", "seed", "counts", "package_versions"):
        assert key in info
    data = {rel: file_sha256(tiny_dataset / rel) for rel in info["files"] if rel.startswith("data/")}
    assert fingerprint(data) == info["dataset_fingerprint"]
    assert info["counts"]["splits"]["test"]["pairs"] == info["counts"]["splits"]["test"]["songs"]
    report = json.loads((tiny_dataset / "build_report.json").read_text())
    assert report["splits"]["n_test"] == info["counts"]["splits"]["test"]["pairs"]


def test_same_records_same_bytes(tiny_dataset: Path, tmp_path: Path) -> None:
    from tests.conftest import build_tiny_dataset

    again = build_tiny_dataset(tmp_path / "nlc-loops", work_root=tmp_path / "work")
    assert _all_files(again) == _all_files(tiny_dataset)


def test_release_refuses_to_replace_a_foreign_folder(tmp_path: Path) -> None:
    from nlc.dataset_builder.release.writer import _check_replaceable, write_release

    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("do not delete")
    with pytest.raises(InputError, match="not an nlc-loops folder"):
        write_release(out, pairs=pd.DataFrame(columns=[*PAIR_COLUMNS, "split"]), loop_wav=lambda _: b"",
                      classification=pd.DataFrame(), ranking=pd.DataFrame(), seed=0, build_report={})
    assert [p.name for p in out.iterdir()] == ["thesis.tex"] and [p.name for p in tmp_path.iterdir()] == ["precious"]
    (out / "thesis.tex").unlink()
    _check_replaceable(out)  # an empty folder is replaced
    (out / "protocol.json").write_text('{"old": 1}')
    _check_replaceable(out)  # and so is an older dataset folder


def test_encode_wav_checks_shape() -> None:
    assert len(encode_wav(np.zeros(88200, np.float32))) == 44 + 2 * 88200
    with pytest.raises(InputError, match="88200"):
        encode_wav(np.zeros(1000, np.float32), where="000001/loop00")


@pytest.mark.slow
def test_load_dataset_offline(tiny_dataset: Path, tmp_path: Path) -> None:
    """From the parent folder, ``load_dataset("nlc-loops", CONFIG)`` works for every config."""
    script = textwrap.dedent(f"""
        import json
        from datasets import load_dataset
        from nlc.loops.protocol_tables import protocol_hash
        info = json.load(open("nlc-loops/protocol.json"))
        songs = {{}}
        for group in info["groups"]:
            d = load_dataset("nlc-loops", group, cache_dir={str(tmp_path / 'cache')!r})
            for split in d:
                songs.setdefault(split, set()).update(d[split]["song_id"])
                s = d[split][0]["source_audio"].get_all_samples()
                assert tuple(s.data.shape) == (1, 88200) and s.sample_rate == 44100, (s.data.shape, s.sample_rate)
        assert not (songs["train"] & songs["validation"]) and not (songs["train"] & songs["test"])
        assert not (songs["validation"] & songs["test"])
        p = load_dataset("nlc-loops", "protocol", cache_dir={str(tmp_path / 'cache')!r})
        h = protocol_hash(p["classification"].to_pandas(), p["ranking"].to_pandas())
        assert h == info["content_hash"], h
        print("OK", sorted(songs))
    """)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tiny_dataset.parent, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK ['test', 'train', 'validation']" in proc.stdout
