"""Write the Hub-ready ``nlc-loops/`` folder: Parquet shards with embedded audio, protocol, card.

The folder is what ``datasets.load_dataset("nlc-loops", "<group>")`` reads, locally or
after it is pushed to the Hub (layout in ``docs/ARCHITECTURE.md``, "The dataset folder").
Two builds from the same records give byte-identical files, so a resumed build can be
checked against an uninterrupted one and a dataset fingerprint means something:

* rows are sorted (pairs by ``pair_id``, protocol items by ``item_id``);
* shards have a fixed number of rows per row group (:data:`ROW_GROUP_ROWS`) and a fixed
  compression, and carry no timestamps (only the schema and the ``huggingface`` features);
* audio is re-encoded to 16-bit PCM WAV by libsndfile, which writes no dates.

The whole folder is written beside the target and swapped in at the end, so a killed
release never leaves a half-written dataset where a good one was.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf

from nlc.errors import InputError
from nlc.features import LOOP_SAMPLES, SAMPLE_RATE
from nlc.provenance import file_sha256, package_versions

from .workdir import write_json

SPLITS: tuple[str, ...] = ("train", "validation", "test")
PROTOCOL_SPLITS: tuple[str, ...] = ("classification", "ranking")
DATA_DIR = "data"
PROTOCOL_DIR = "protocol"
PROTOCOL_JSON = "protocol.json"
BUILD_REPORT = "build_report.json"
CARD = "README.md"
ROW_GROUP_ROWS: int = 16
"""Rows per Parquet row group: ~2.8 MB per audio column, so the reader's random access is cheap."""
MAX_SHARD_ROWS: int = 2048
"""Rows per pair shard (~720 MB); bigger splits get ``-00000-of-00003`` style shards."""
COMPRESSION: str = "zstd"
"""Compression of every column but the WAV bytes, which are stored uncompressed: PCM music
gains little from zstd and the reader then decodes loops straight from the read buffer."""

PAIR_COLUMNS: tuple[str, ...] = (
    "pair_id", "song_id", "source_id", "target_id", "source_audio", "target_audio",
    "source_role", "target_role", "tempo", "license", "license_raw", "artist", "title",
)
AUDIO_COLUMNS: tuple[str, ...] = ("source_audio", "target_audio")
PROTOCOL_COLUMNS: tuple[str, ...] = (
    "item_id", "task", "query_id", "candidate_id", "label", "method", "shift_beats", "permutation",
)


def pair_features() -> Any:
    """The ``datasets.Features`` of a pair row (audio as ``Audio(sampling_rate=44100)``)."""
    from datasets import Audio, Features, Value

    text = Value("string")
    return Features({
        "pair_id": text, "song_id": text, "source_id": text, "target_id": text,
        "source_audio": Audio(sampling_rate=SAMPLE_RATE), "target_audio": Audio(sampling_rate=SAMPLE_RATE),
        "source_role": text, "target_role": text, "tempo": Value("float64"),
        "license": text, "license_raw": text, "artist": text, "title": text,
    })


def protocol_features() -> Any:
    """The ``datasets.Features`` of a frozen protocol row (both tasks, one schema)."""
    from datasets import Features, List, Value

    text = Value("string")
    return Features({
        "item_id": text, "task": text, "query_id": text, "candidate_id": text, "label": Value("int8"),
        "method": text, "shift_beats": Value("int32"), "permutation": List(Value("int32")),
    })


def shard_name(split: str, index: int, total: int) -> str:
    """Hub shard naming: ``train-00000-of-00001.parquet``."""
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


def encode_wav(audio: np.ndarray, *, where: str = "loop") -> bytes:
    """A 2-s loop as 16-bit PCM WAV bytes (mono, 44.1 kHz); ``where`` names it in errors."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.shape != (LOOP_SAMPLES,):
        raise InputError(f"{where}: expected {LOOP_SAMPLES} mono samples, got shape {audio.shape}")
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def normalise_wav(data: bytes, *, where: str) -> bytes:
    """Decode WAV/FLAC bytes and re-encode them as the canonical 16-bit PCM loop."""
    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(f"{where}: unreadable loop audio ({exc})") from exc
    if sr != SAMPLE_RATE:
        raise InputError(f"{where}: loop sampled at {sr} Hz, expected {SAMPLE_RATE}")
    return encode_wav(audio.mean(axis=1), where=where)


def _write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    compression = {name: COMPRESSION for name in _leaf_columns(table.schema)}
    compression.update({f"{c}.bytes": "NONE" for c in AUDIO_COLUMNS if c in table.schema.names})
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS, compression=compression,
                   use_dictionary=False, write_statistics=True)


def _leaf_columns(schema: pa.Schema) -> list[str]:
    names = []
    for field in schema:
        if pa.types.is_struct(field.type):
            names += [f"{field.name}.{child.name}" for child in field.type]
        elif pa.types.is_list(field.type):
            names.append(f"{field.name}.list.element")
        else:
            names.append(field.name)
    return names


def _pair_table(rows: pd.DataFrame, loop_wav: Callable[[str], bytes], schema: pa.Schema) -> pa.Table:
    data: dict[str, list] = {c: [None if pd.isna(v) else str(v) for v in rows[c]]
                             for c in PAIR_COLUMNS if c not in AUDIO_COLUMNS and c != "tempo"}
    for column, ids in (("source_audio", rows["source_id"]), ("target_audio", rows["target_id"])):
        data[column] = [{"bytes": loop_wav(i), "path": f"{i}.wav"} for i in ids]
    data["tempo"] = [None if pd.isna(t) else float(t) for t in rows["tempo"]]
    return pa.Table.from_pydict({c: data[c] for c in PAIR_COLUMNS}, schema=schema)


def write_pair_shards(root: Path, pairs: pd.DataFrame, loop_wav: Callable[[str], bytes], *,
                      max_shard_rows: int = MAX_SHARD_ROWS) -> dict[str, dict[str, list[str]]]:
    """Write ``data/<group>/<split>-*.parquet``; returns ``{group: {split: [relative paths]}}``.

    ``pairs`` holds the pair columns (without audio) plus ``split``; ``license`` is the
    group. ``loop_wav(loop_id)`` returns the loop's canonical WAV bytes. Empty
    (group, split) combinations get no file.
    """
    schema = pair_features().arrow_schema
    layout: dict[str, dict[str, list[str]]] = {}
    for group in sorted(pairs["license"].unique()):
        for split in SPLITS:
            rows = pairs[(pairs["license"] == group) & (pairs["split"] == split)].sort_values("pair_id")
            if rows.empty:
                continue
            n_shards = -(-len(rows) // max_shard_rows)
            paths = []
            for index in range(n_shards):
                chunk = rows.iloc[index * max_shard_rows:(index + 1) * max_shard_rows]
                rel = f"{DATA_DIR}/{group}/{shard_name(split, index, n_shards)}"
                _write_parquet(root / rel, _pair_table(chunk, loop_wav, schema))
                paths.append(rel)
            layout.setdefault(group, {})[split] = paths
    return layout


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def protocol_arrow(table: pd.DataFrame) -> pa.Table:
    """A frozen protocol table (see ARCHITECTURE "Protocol rows") as Arrow, sorted by item id."""
    missing = [c for c in PROTOCOL_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"protocol table lacks column(s) {missing}")
    table = table.assign(item_id=table["item_id"].astype(str)).sort_values("item_id", kind="stable")
    shift = [None if _missing(v) else int(v) for v in table["shift_beats"]]
    perm = [[] if _missing(v) else [int(x) for x in v] for v in table["permutation"]]
    data = {
        "item_id": table["item_id"].tolist(), "task": table["task"].astype(str).tolist(),
        "query_id": table["query_id"].astype(str).tolist(), "candidate_id": table["candidate_id"].astype(str).tolist(),
        "label": [int(v) for v in table["label"]], "method": table["method"].astype(str).tolist(),
        "shift_beats": shift, "permutation": perm,
    }
    return pa.Table.from_pydict(data, schema=protocol_features().arrow_schema)


def read_protocol_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A protocol shard as a DataFrame in its canonical form.

    ``label`` is int64, ``shift_beats`` a nullable ``Int64`` column and ``permutation``
    holds tuples of int (empty when not applicable). The content hash is computed on
    exactly this form, so every reader that re-reads the shards gets the same hash.
    """
    frame = pq.read_table(path).to_pandas()
    frame["label"] = frame["label"].astype("int64")
    frame["shift_beats"] = frame["shift_beats"].astype("Int64")
    frame["permutation"] = [tuple(int(v) for v in p) for p in frame["permutation"]]
    return frame.reset_index(drop=True)


def write_protocol_shards(root: Path, classification: pd.DataFrame, ranking: pd.DataFrame) -> dict[str, str]:
    """Write ``protocol/{classification,ranking}-00000-of-00001.parquet``; returns split -> path."""
    out = {}
    for split, table in (("classification", classification), ("ranking", ranking)):
        rel = f"{PROTOCOL_DIR}/{shard_name(split, 0, 1)}"
        _write_parquet(root / rel, protocol_arrow(table))
        out[split] = rel
    return out


def fingerprint(files: Mapping[str, str]) -> str:
    """SHA-256 over ``"<relative path> <sha256>"`` lines of the given shards, sorted by path."""
    lines = "".join(f"{rel} {files[rel]}\n" for rel in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def split_counts(pairs: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Table 1 of the paper for ``pairs``: loops, pairs and songs per split and in total."""
    out = {}
    for split in (*SPLITS, "total"):
        rows = pairs if split == "total" else pairs[pairs["split"] == split]
        loops = set(rows["source_id"]) | set(rows["target_id"])
        out[split] = {"loops": len(loops), "pairs": int(len(rows)), "songs": int(rows["song_id"].nunique())}
    return out


def _swap_in(staging: Path, out: Path) -> None:
    if out.exists():
        if any(out.iterdir()) and not (out / PROTOCOL_JSON).is_file():
            raise InputError(f"{out}: exists and is not an nlc-loops folder; refusing to replace it")
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)


def write_release(out: str | os.PathLike[str], *, pairs: pd.DataFrame, loop_wav: Callable[[str], bytes],
                  classification: pd.DataFrame, ranking: pd.DataFrame, seed: int,
                  build_report: Mapping[str, Any], max_shard_rows: int = MAX_SHARD_ROWS) -> dict[str, Any]:
    """Write the whole dataset folder ``out`` and return its ``protocol.json`` content.

    Parameters
    ----------
    out : path-like
        The dataset folder (``nlc-loops/``); replaced as a whole if it already holds one.
    pairs : DataFrame
        One row per positive pair: the pair columns of ARCHITECTURE.md (no audio) plus ``split``.
    loop_wav : callable
        ``loop_wav(loop_id) -> bytes``, the loop's WAV bytes (see :func:`normalise_wav`).
    classification, ranking : DataFrame
        The frozen protocol tables from :mod:`nlc.dataset_builder.frozen_protocol`.
    seed : int
        The build's seed, recorded in ``protocol.json``.
    build_report : mapping
        Written as ``build_report.json`` (must hold no timestamps, to keep builds identical).
    max_shard_rows : int, default 2048
        Pairs per Parquet shard.
    """
    from .dataset_card import render_card
    from .frozen_protocol import PROTOCOL_VERSION, protocol_hash

    missing = [c for c in (*PAIR_COLUMNS, "split") if c not in pairs.columns and c not in AUDIO_COLUMNS]
    if missing:
        raise InputError(f"pairs table lacks column(s) {missing}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        layout = write_pair_shards(staging, pairs, loop_wav, max_shard_rows=max_shard_rows)
        protocol_files = write_protocol_shards(staging, classification, ranking)
        data_files = {rel: file_sha256(staging / rel) for g in layout.values() for p in g.values() for rel in p}
        files = {**data_files, **{rel: file_sha256(staging / rel) for rel in protocol_files.values()}}
        by_group = {g: split_counts(pairs[pairs["license"] == g]) for g in layout}
        info = {
            "protocol_version": PROTOCOL_VERSION,
            "content_hash": protocol_hash(read_protocol_table(staging / protocol_files["classification"]),
                                          read_protocol_table(staging / protocol_files["ranking"])),
            "dataset_fingerprint": fingerprint(data_files),
            "seed": int(seed),
            "counts": {
                "splits": split_counts(pairs),
                "groups": by_group,
                "classification_items": int(len(classification)),
                "ranking_items": int(len(ranking)),
                "ranking_queries": int(ranking["query_id"].nunique()) if len(ranking) else 0,
            },
            "groups": sorted(layout),
            "data_files": layout,
            "protocol_files": protocol_files,
            "files": files,
            "package_versions": package_versions(),
        }
        write_json(staging / PROTOCOL_JSON, info)
        write_json(staging / BUILD_REPORT, dict(build_report))
        (staging / CARD).write_text(render_card(info, pairs))
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return info
