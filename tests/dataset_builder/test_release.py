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
    LOOP_COLUMNS, PAIR_COLUMNS, PROTOCOL_COLUMNS, encode_wav, fingerprint, protocol_loop_files, shard_name,
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
    for folder in ("data", "loops"):
        shards = [f for f in files if f.startswith(f"{folder}/")]
        assert shards and all(f.split("/")[1] in HUB_LICENSE for f in shards)
        assert all(f.split("/")[2].split("-")[0] in ("train", "validation", "test") for f in shards)
    assert shard_name("train", 0, 1) == "train-00000-of-00001.parquet"


def test_pair_loop_and_protocol_schemas(tiny_dataset: Path) -> None:
    shard = next((tiny_dataset / "data").rglob("train-*.parquet"))
    table = pq.read_table(shard)
    assert tuple(table.schema.names) == PAIR_COLUMNS  # ids and metadata: no audio in a pair row
    rows = table.column("pair_id").to_pylist()
    assert rows == sorted(rows)
    loops = next((tiny_dataset / "loops").rglob("train-*.parquet"))
    schema = pq.read_schema(loops)
    assert tuple(schema.names) == LOOP_COLUMNS
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert features["audio"] == {"sampling_rate": 44100, "_type": "Audio"}
    assert str(schema.field("audio").type) == "struct<bytes: binary, path: string>"
    audio = pq.read_table(loops).column("audio")[0].as_py()
    assert audio["bytes"][:4] == b"fLaC" and audio["path"].endswith(".flac")
    proto = pq.read_schema(tiny_dataset / "protocol/classification-00000-of-00001.parquet")
    assert tuple(proto.names) == PROTOCOL_COLUMNS
    assert str(proto.field("permutation").type.value_type) == "int32"


def test_each_loop_is_stored_once_losslessly(tiny_dataset: Path) -> None:
    """Every loop a pair names is in exactly one loop table, as FLAC that decodes to the recorded samples."""
    import io

    import soundfile as sf

    stored = [row for shard in sorted((tiny_dataset / "loops").rglob("*.parquet"))
              for row in pq.read_table(shard, columns=["loop_id", "audio"]).to_pylist()]
    ids = [row["loop_id"] for row in stored]
    assert len(ids) == len(set(ids))
    named = set()
    for shard in (tiny_dataset / "data").rglob("*.parquet"):
        pairs = pq.read_table(shard, columns=["source_id", "target_id"])
        named |= set(pairs.column("source_id").to_pylist()) | set(pairs.column("target_id").to_pylist())
    assert named == set(ids)
    work = tiny_dataset.with_name(tiny_dataset.name + ".work")
    for row in stored[::7]:
        song, local = row["loop_id"].split("/")
        recorded = sf.read(work / "songs" / song / "loops" / f"{local}.wav", dtype="int16")[0]
        assert np.array_equal(sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="int16")[0], recorded)
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    assert info["counts"]["loop_bytes"] == sum(p.stat().st_size for p in (tiny_dataset / "loops").rglob("*.parquet"))


def test_protocol_loops_carry_every_loop_the_protocol_needs(tiny_dataset: Path) -> None:
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    inside = {row for rel in protocol_loop_files(info)
              for row in pq.read_table(tiny_dataset / rel, columns=["loop_id"]).column(0).to_pylist()}
    needed = set()
    for rel in info["protocol_files"].values():
        table = pq.read_table(tiny_dataset / rel, columns=["query_id", "candidate_id"])
        needed |= set(table.column(0).to_pylist()) | set(table.column(1).to_pylist())
    assert needed and not needed - inside


def test_card_configs(tiny_dataset: Path) -> None:
    """Per group a pair and a loop config, then the self-contained protocol (items and loops)."""
    meta, body = _card(tiny_dataset)
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(configs) == {*info["groups"], *(f"{g}-loops" for g in info["groups"]), "protocol", "protocol-loops"}
    for group, splits in info["data_files"].items():
        assert [f["split"] for f in configs[group]["data_files"]] == [s for s in ("train", "validation", "test") if s in splits]
        assert {f["split"]: f["path"] for f in configs[f"{group}-loops"]["data_files"]} == info["loop_files"][group]
    assert [f["split"] for f in configs["protocol"]["data_files"]] == ["classification", "ranking"]
    assert [f["split"] for f in configs["protocol-loops"]["data_files"]] == ["validation", "test"]
    assert "@inproceedings{chen2020neural" in body


def test_protocol_json_records_hashes(tiny_dataset: Path) -> None:
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    for key in ("protocol_version", "content_hash", "dataset_fingerprint", "seed", "counts", "package_versions"):
        assert key in info
    data = {rel: file_sha256(tiny_dataset / rel) for rel in info["files"] if rel.startswith(("data/", "loops/"))}
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
            loops = load_dataset("nlc-loops", group + "-loops", cache_dir={str(tmp_path / 'cache')!r})
            for split in d:
                songs.setdefault(split, set()).update(d[split]["song_id"])
                named = set(d[split]["source_id"]) | set(d[split]["target_id"])
                assert named == set(loops[split]["loop_id"]), group
                s = loops[split][0]["audio"].get_all_samples()
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
