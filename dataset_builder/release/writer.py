"""Write the Hub-ready ``nlc-loops/`` folder: pair tables, loop tables (FLAC), protocol, card.

The folder is what ``datasets.load_dataset("nlc-loops", "<group>")`` reads, locally or
after it is pushed to the Hub (layout in ``docs/ARCHITECTURE.md``, "The dataset folder").
Two builds from the same records give byte-identical files, so a resumed build can be
checked against an uninterrupted one and a dataset fingerprint means something:

* rows are sorted (pairs by ``pair_id``, protocol items by ``item_id``);
* shards have a fixed number of rows per row group (:data:`ROW_GROUP_ROWS`) and a fixed
  compression, and carry no timestamps (only the schema and the ``huggingface`` features);
* each loop is stored once, in its song's loop table, as FLAC of the 16-bit samples the
  build's task wrote (:func:`nlc.loops.layout.encode_flac`: lossless, no dates); pair
  tables name loops by id, so a loop in several pairs costs its bytes once.

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
    BUILD_REPORT, CARD, COMPRESSION, DATA_DIR, LOOP_COLUMNS, LOOPS_DIR, MAX_SHARD_ROWS, NO_DERIVATIVES_GROUPS,
    PAIR_COLUMNS, PROTOCOL_COLUMNS, PROTOCOL_DIR, PROTOCOL_JSON, ROW_GROUP_ROWS, TRUTH_JSON, SPLITS, encode_flac, fingerprint,
    loop_features, pair_features, protocol_features, read_protocol_table, shard_name,
)


def _write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    compression = {name: COMPRESSION for name in _leaf_columns(table.schema)}
    if "audio" in table.schema.names:
        compression["audio.bytes"] = "NONE"  # FLAC already; zstd would only cost time
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


def _text(values: Any) -> list[str | None]:
    return [None if _missing(v) else str(v) for v in values]


def _pair_table(rows: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    data: dict[str, list] = {c: _text(rows[c]) for c in PAIR_COLUMNS if c != "tempo"}
    data["tempo"] = [None if _missing(t) else float(t) for t in rows["tempo"]]
    return pa.Table.from_pydict({c: data[c] for c in PAIR_COLUMNS}, schema=schema)


def _loop_table(rows: pd.DataFrame, loop_wav: Callable[[str], bytes], schema: pa.Schema) -> pa.Table:
    data: dict[str, list] = {c: _text(rows[c]) for c in LOOP_COLUMNS if c not in ("audio", "tempo")}
    data["audio"] = [{"bytes": encode_flac(loop_wav(i), where=f"loop {i}"), "path": f"{i}.flac"}
                     for i in rows["loop_id"]]
    data["tempo"] = [None if _missing(t) else float(t) for t in rows["tempo"]]
    return pa.Table.from_pydict({c: data[c] for c in LOOP_COLUMNS}, schema=schema)


def _write_sharded(root: Path, folder: str, table: pd.DataFrame, key: str,
                   to_arrow: Callable[[pd.DataFrame], pa.Table], max_shard_rows: int) -> dict[str, dict[str, list[str]]]:
    """``<folder>/<group>/<split>-*.parquet`` of ``table`` (with ``license`` and ``split``), rows by ``key``."""
    layout: dict[str, dict[str, list[str]]] = {}
    for group in sorted(table["license"].unique()):
        for split in SPLITS:
            rows = table[(table["license"] == group) & (table["split"] == split)].sort_values(key)
            if rows.empty:
                continue
            n_shards = -(-len(rows) // max_shard_rows)
            paths = []
            for index in range(n_shards):
                chunk = rows.iloc[index * max_shard_rows:(index + 1) * max_shard_rows]
                rel = f"{folder}/{group}/{shard_name(split, index, n_shards)}"
                _write_parquet(root / rel, to_arrow(chunk))
                paths.append(rel)
            layout.setdefault(group, {})[split] = paths
    return layout


def write_pair_shards(root: Path, pairs: pd.DataFrame, *,
                      max_shard_rows: int = MAX_SHARD_ROWS) -> dict[str, dict[str, list[str]]]:
    """Write ``data/<group>/<split>-*.parquet`` (ids and metadata); returns ``{group: {split: [paths]}}``.

    ``pairs`` holds :data:`PAIR_COLUMNS` plus ``split``; ``license`` is the group. Empty
    (group, split) combinations get no file.
    """
    schema = pair_features().arrow_schema
    return _write_sharded(root, DATA_DIR, pairs, "pair_id", lambda rows: _pair_table(rows, schema), max_shard_rows)


def loops_of_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per loop named by ``pairs``: :data:`LOOP_COLUMNS` but audio, plus ``split``, by loop id.

    A loop belongs to one song, so its song, split, licence, tempo and credits are its pair's."""
    shared = ["song_id", "tempo", "license", "license_raw", "artist", "title", "split"]
    sides = [pairs[[f"{side}_id", f"{side}_role", *shared]].set_axis(["loop_id", "role", *shared], axis=1)
             for side in ("source", "target")]
    loops = pd.concat(sides, ignore_index=True).drop_duplicates("loop_id")
    return loops.sort_values("loop_id", ignore_index=True)


def write_loop_shards(root: Path, pairs: pd.DataFrame, loop_wav: Callable[[str], bytes], *,
                      max_shard_rows: int = MAX_SHARD_ROWS) -> dict[str, dict[str, list[str]]]:
    """Write ``loops/<group>/<split>-*.parquet``, each loop once as FLAC; returns ``{group: {split: [paths]}}``.

    ``loop_wav(loop_id)`` returns the loop's canonical WAV bytes (:func:`nlc.loops.layout.encode_wav`).
    """
    schema = loop_features().arrow_schema
    return _write_sharded(root, LOOPS_DIR, loops_of_pairs(pairs), "loop_id",
                          lambda rows: _loop_table(rows, loop_wav, schema), max_shard_rows)


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
                  build_report: Mapping[str, Any], max_shard_rows: int = MAX_SHARD_ROWS,
                  truth: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Write the whole dataset folder ``out`` and return its ``protocol.json`` content.

    Parameters
    ----------
    out : path-like
        The dataset folder (``nlc-loops/``); replaced as a whole if it already holds one.
    pairs : DataFrame
        One row per positive pair: the pair columns of ARCHITECTURE.md (no audio) plus ``split``.
    loop_wav : callable
        ``loop_wav(loop_id) -> bytes``, the loop's canonical WAV bytes; stored once, as FLAC.
    classification, ranking : DataFrame
        The frozen protocol tables from :mod:`nlc.loops.protocol_tables`.
    seed : int
        The build's seed, recorded in ``protocol.json``.
    build_report : mapping
        Written as ``build_report.json`` (must hold no timestamps, to keep builds identical).
    max_shard_rows : int, default 2048
        Rows (pairs or loops) per Parquet shard.
    truth : mapping or None
        Corpus ground truth per song id (``tempo``, ``key``), written as ``truth.json`` and
        hash-listed; None (an FMA build): no file.
    """
    from nlc.dataset_builder.release.card import render_card
    from nlc.loops.protocol_tables import PROTOCOL_VERSION, protocol_hash

    missing = [c for c in (*PAIR_COLUMNS, "split") if c not in pairs.columns]
    if missing:
        raise InputError(f"pairs table lacks column(s) {missing}")
    out = Path(out)
    _check_replaceable(out)
    for stale in out.parent.glob(f".{out.name}.*.tmp"):  # staging folder of a killed release
        shutil.rmtree(stale, ignore_errors=True)
    groups = sorted(pairs["license"].unique())
    protocol_groups = [g for g in groups if g not in NO_DERIVATIVES_GROUPS]
    _check_protocol_loops(pairs, classification, ranking, protocol_groups)
    with atomic_dir(out) as staging:
        layout = write_pair_shards(staging, pairs, max_shard_rows=max_shard_rows)
        loop_layout = write_loop_shards(staging, pairs, loop_wav, max_shard_rows=max_shard_rows)
        protocol_files = write_protocol_shards(staging, classification, ranking)
        shards = [rel for table in (layout, loop_layout) for g in table.values() for p in g.values() for rel in p]
        data_files = {rel: file_sha256(staging / rel) for rel in shards}
        files = {**data_files, **{rel: file_sha256(staging / rel) for rel in protocol_files.values()}}
        if truth is not None:
            write_json(staging / TRUTH_JSON, {str(k): dict(v) for k, v in truth.items()})
            files[TRUTH_JSON] = file_sha256(staging / TRUTH_JSON)
        by_group = {g: split_counts(pairs[pairs["license"] == g]) for g in layout}
        loop_bytes = sum((staging / rel).stat().st_size for g in loop_layout.values() for p in g.values() for rel in p)
        counts = split_counts(pairs)
        n_loops = counts["total"]["loops"]
        info = {
            "protocol_version": PROTOCOL_VERSION,
            "content_hash": protocol_hash(read_protocol_table(staging / protocol_files["classification"]),
                                          read_protocol_table(staging / protocol_files["ranking"])),
            "dataset_fingerprint": fingerprint(data_files),
            "seed": int(seed),
            "counts": {
                "splits": counts,
                "groups": by_group,
                "classification_items": int(len(classification)),
                "ranking_items": int(len(ranking)),
                "ranking_queries": int(ranking["query_id"].nunique()) if len(ranking) else 0,
                "loop_bytes": int(loop_bytes),
                "bytes_per_loop": round(loop_bytes / n_loops, 1) if n_loops else 0.0,
            },
            "groups": list(layout),
            "protocol_groups": protocol_groups,
            "data_files": layout,
            "loop_files": loop_layout,
            "protocol_files": protocol_files,
            "files": files,
            "package_versions": package_versions(),
        }
        write_json(staging / PROTOCOL_JSON, info)
        write_json(staging / BUILD_REPORT, dict(build_report))
        (staging / CARD).write_text(render_card(info, pairs, build_report))
    return info


def _check_protocol_loops(pairs: pd.DataFrame, classification: pd.DataFrame, ranking: pd.DataFrame,
                          protocol_groups: list[str]) -> None:
    """Refuse a protocol that names a loop outside ``protocol-loops`` (its groups' validation and test).

    The ``protocol`` configs must be usable alone, and a no-derivatives song must never be
    in them; the splits guarantee both (no-derivatives songs are train-only), this checks it."""
    inside = pairs[pairs["license"].isin(protocol_groups) & pairs["split"].isin(["validation", "test"])]
    allowed = set(inside["source_id"]) | set(inside["target_id"])
    named = set(classification["query_id"]) | set(classification["candidate_id"]) \
        | set(ranking["query_id"]) | set(ranking["candidate_id"])
    outside = sorted(str(i) for i in named - allowed)
    if outside:
        raise InputError(f"the frozen protocol names {len(outside)} loop(s) outside its publishable groups' "
                         f"validation and test splits, e.g. {outside[0]!r}")
