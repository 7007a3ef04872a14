"""``nlc-bench dataset stats``: the paper's Table 1 for a dataset folder, overall and per license group.

Counts are recomputed from the pair shards (not copied from ``protocol.json``), so the
table describes the files as they are: loops (distinct loop ids), loop pairs and songs of
each split, and the total over splits. Splits are song-disjoint, so the rows add up.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from nlc.loops.reader import LoopsDataset, open_dataset
from nlc.loops.layout import SPLITS

TABLE1_COLUMNS: tuple[str, ...] = ("# loops", "# loop pairs", "# songs")
_ROW_NAMES = {"train": "Training set", "validation": "Validation set", "test": "Test set", "total": "Σ"}


def table1(pairs: pd.DataFrame) -> pd.DataFrame:
    """Table 1 of ``pairs`` (with a ``split`` column): rows train, validation, test, Σ."""
    rows = {}
    for split in (*SPLITS, "total"):
        part = pairs if split == "total" else pairs[pairs["split"] == split]
        loops = set(part["source_id"]) | set(part["target_id"])
        rows[_ROW_NAMES[split]] = (len(loops), len(part), part["song_id"].nunique())
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(TABLE1_COLUMNS))


def all_pairs(dataset: LoopsDataset, *, groups: Sequence[str] | None = None) -> pd.DataFrame:
    """Every pair of the dataset (or of some groups) with its split, without audio."""
    frames = [dataset.pairs(s, groups=groups).assign(split=s) for s in SPLITS]
    return pd.concat(frames, ignore_index=True)


def dataset_tables(dataset: LoopsDataset) -> dict[str, pd.DataFrame]:
    """``{"all": Table 1, "<group>": Table 1 of that group, ...}``."""
    pairs = all_pairs(dataset)
    tables = {"all": table1(pairs)}
    for group in dataset.groups:
        tables[group] = table1(pairs[pairs["license"] == group])
    return tables


def format_tables(tables: dict[str, pd.DataFrame]) -> str:
    """Plain-text rendering, thousands separated, one block per table."""
    blocks = []
    for name, table in tables.items():
        title = "All license groups" if name == "all" else f"License group {name}"
        body = table.map(lambda v: f"{int(v):,}").to_string()
        blocks.append(f"{title}\n{body}")
    return "\n\n".join(blocks)


def storage(dataset: LoopsDataset) -> dict[str, float]:
    """Bytes on disk of the loop tables, measured now: ``loops``, ``loop_bytes``, ``bytes_per_loop``.

    Each loop is stored once (FLAC), so this is the audio cost of the release."""
    files = [rel for table in dataset.info.loop_files.values() for paths in table.values() for rel in paths]
    size = sum((dataset.root / rel).stat().st_size for rel in files)
    n = len(dataset.loops())
    return {"loops": n, "loop_bytes": size, "bytes_per_loop": round(size / n, 1) if n else 0.0}


def stats(path: str | os.PathLike[str], *, verify: bool = False) -> str:
    """Table 1 text for the dataset folder at ``path`` (shard hashes checked if ``verify``), then storage."""
    dataset = open_dataset(path, verify=verify)
    used = storage(dataset)
    return (format_tables(dataset_tables(dataset)) + f"\n\nStorage: {used['loops']:,} loops stored once as FLAC, "
            f"{used['loop_bytes'] / 1e6:,.1f} MB, {used['bytes_per_loop'] / 1e3:,.1f} kB per loop")
