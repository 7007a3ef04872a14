"""Write the Hub-ready ``nlc-loops/`` folder: Parquet shards with embedded audio, protocol, card.

The folder is what ``datasets.load_dataset("nlc-loops", "<group>")`` reads, locally or
after it is pushed to the Hub (layout in ``docs/ARCHITECTURE.md``, "The dataset folder").
Two builds from the same records give byte-identical files, so a resumed build can be
checked against an uninterrupted one and a dataset fingerprint means something:

* rows are sorted (pairs by ``pair_id``, protocol items by ``item_id``);
* shards have a fixed number of rows per row group (:data:`ROW_GROUP_ROWS`) and a fixed
  compression, and carry no timestamps (only the schema and the ``huggingface`` features);
* each loop is the canonical 16-bit PCM WAV that libsndfile wrote once, in the build's task
  (:func:`nlc.loops.layout.encode_wav`, no dates), copied as it is.

The whole folder is written beside the target and swapped in at the end
(:func:`nlc.atomic.atomic_dir`), so a killed release never leaves a half-written dataset
where a good one was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nlc.atomic import atomic_dir, write_json
from nlc.errors import InputError
from nlc.provenance import file_sha256, package_versions

from nlc.loops.layout import (
    AUDIO_COLUMNS, BUILD_REPORT, CARD, COMPRESSION, DATA_DIR, MAX_SHARD_ROWS, PAIR_COLUMNS, PROTOCOL_COLUMNS,
    PROTOCOL_DIR, PROTOCOL_JSON, ROW_GROUP_ROWS, SPLITS, fingerprint, pair_features, protocol_features,
    read_protocol_table, shard_name,
)


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


def write_protocol_shards(root: Path, classification: pd.DataFrame, ranking: pd.DataFrame) -> dict[str, str]:
    """Write ``protocol/{classification,ranking}-00000-of-00001.parquet``; returns split -> path."""
    out = {}
    for split, table in (("classification", classification), ("ranking", ranking)):
        rel = f"{PROTOCOL_DIR}/{shard_name(split, 0, 1)}"
        _write_parquet(root / rel, protocol_arrow(table))
        out[split] = rel
    return out


def split_counts(pairs: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Table 1 of the paper for ``pairs``: loops, pairs and songs per split and in total."""
    out = {}
    for split in (*SPLITS, "total"):
        rows = pairs if split == "total" else pairs[pairs["split"] == split]
        loops = set(rows["source_id"]) | set(rows["target_id"])
        out[split] = {"loops": len(loops), "pairs": int(len(rows)), "songs": int(rows["song_id"].nunique())}
    return out


def _check_replaceable(out: Path) -> None:
    """Refuse to replace an existing folder unless it is empty or an nlc-loops folder."""
    if out.exists() and any(out.iterdir()) and not (out / PROTOCOL_JSON).is_file():
        raise InputError(f"{out}: exists and is not an nlc-loops folder; refusing to replace it")


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
        The frozen protocol tables from :mod:`nlc.loops.protocol_tables`.
    seed : int
        The build's seed, recorded in ``protocol.json``.
    build_report : mapping
        Written as ``build_report.json`` (must hold no timestamps, to keep builds identical).
    max_shard_rows : int, default 2048
        Pairs per Parquet shard.
    """
    from nlc.dataset_builder.release.card import render_card
    from nlc.loops.protocol_tables import PROTOCOL_VERSION, protocol_hash

    missing = [c for c in (*PAIR_COLUMNS, "split") if c not in pairs.columns and c not in AUDIO_COLUMNS]
    if missing:
        raise InputError(f"pairs table lacks column(s) {missing}")
    out = Path(out)
    _check_replaceable(out)
    for stale in out.parent.glob(f".{out.name}.*.tmp"):  # staging folder of a killed release
        shutil.rmtree(stale, ignore_errors=True)
    with atomic_dir(out) as staging:
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
    return info
