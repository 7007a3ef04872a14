"""Fast, checked access to an ``nlc-loops/`` folder: the one way baselines and benchmark read it.

``datasets.load_dataset`` is the public way in; inside nlc-bench, training and scoring use
:func:`open_dataset`, which reads the same Parquet shards with pyarrow only:

* pair tables hold ids and metadata only (:meth:`LoopsDataset.pairs`), so listing or
  splitting 16k pairs costs milliseconds;
* audio is decoded on demand by :meth:`LoopsDataset.loop_audio` from the FLAC bytes of
  the loop tables (each loop stored once), one row group at a time; every loop of a row
  group read goes into an LRU cache, so sweeping a split in loop-id order reads each row
  group once;
* the frozen protocol tables are checked against the content hash of ``protocol.json``
  and an :class:`~nlc.errors.IntegrityError` names the file that changed.

Example
-------
>>> ds = open_dataset("nlc-loops")                  # doctest: +SKIP
>>> train = ds.pairs("train", groups=["cc-by"])     # doctest: +SKIP
>>> x = ds.loop_audio(train["source_id"][:32])       # (32, 88200) float32
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from nlc.errors import InputError, IntegrityError
from nlc.spec import LOOP_SAMPLES
from nlc.provenance import file_sha256

from nlc.loops.layout import (
    DATA_DIR, LOOPS_DIR, PAIR_COLUMNS, PROTOCOL_JSON, SPLITS, TRUTH_JSON, decode_loop, fingerprint, read_protocol_table,
)

DEFAULT_CACHE_LOOPS: int = 4096
"""Decoded loops kept in memory by default (4096 x 353 kB of float32 = 1.4 GB)."""

RAW_ROW_GROUPS: int = 64
"""Row groups whose undecoded FLAC bytes the reader keeps (64 x 16 loops x ~70 kB = ~70 MB)."""

_VERIFIED: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256, per process


@dataclass(frozen=True)
class DatasetInfo:
    """``protocol.json`` of a dataset folder."""

    protocol_version: str
    content_hash: str
    dataset_fingerprint: str
    seed: int
    counts: dict[str, Any]
    groups: tuple[str, ...]
    protocol_groups: tuple[str, ...]
    data_files: dict[str, dict[str, list[str]]]
    loop_files: dict[str, dict[str, list[str]]]
    protocol_files: dict[str, str]
    files: dict[str, str]
    package_versions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> DatasetInfo:
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: unreadable protocol.json ({exc})") from exc
        missing = [f.name for f in fields(cls) if f.name not in raw and f.name != "package_versions"]
        if missing:
            raise InputError(f"{path}: missing key(s) {missing}")
        raw["groups"] = tuple(raw["groups"])
        raw["protocol_groups"] = tuple(raw["protocol_groups"])
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})


def _sha256_cached(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        _VERIFIED[key] = file_sha256(path)
    return _VERIFIED[key]


class LoopsDataset:
    """An opened ``nlc-loops/`` folder (see :func:`open_dataset`)."""

    def __init__(self, root: Path, info: DatasetInfo, *, cache_loops: int = DEFAULT_CACHE_LOOPS) -> None:
        self.root = root
        self.info = info
        self.groups: tuple[str, ...] = info.groups
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_loops = int(cache_loops)
        self._index: dict[str, tuple[str, int]] | None = None
        self._files: dict[str, pq.ParquetFile] = {}
        self._raw: OrderedDict[tuple[str, int], list[tuple[str, bytes]]] = OrderedDict()
        self._rg_starts: dict[str, np.ndarray] = {}
        self._protocol_tables: dict[str, pd.DataFrame] | None = None

    def __repr__(self) -> str:
        total = self.info.counts["splits"]["total"]
        return (f"LoopsDataset({str(self.root)!r}, groups={list(self.groups)}, pairs={total['pairs']}, "
                f"loops={total['loops']}, protocol={self.info.protocol_version})")

    def _shards(self, split: str | None, groups: Iterable[str] | None, *, loops: bool = False) -> list[str]:
        if split is not None and split not in SPLITS:
            raise InputError(f"unknown split {split!r}; expected one of {SPLITS}")
        chosen = list(self.groups) if groups is None else [groups] if isinstance(groups, str) else list(groups)
        unknown = [g for g in chosen if g not in self.groups]
        if unknown:
            raise InputError(f"{self.root}: no license group(s) {unknown}; present: {list(self.groups)}")
        splits = SPLITS if split is None else (split,)
        table = self.info.loop_files if loops else self.info.data_files
        return [p for g in chosen for s in splits for p in table[g].get(s, [])]

    def pairs(self, split: str, *, groups: Sequence[str] | None = None) -> pd.DataFrame:
        """Pair rows of one split (all or the given license groups), sorted by pair id."""
        frames = [pq.read_table(self.root / rel).to_pandas() for rel in self._shards(split, groups)]
        if not frames:
            return pd.DataFrame(columns=list(PAIR_COLUMNS))
        return pd.concat(frames, ignore_index=True).sort_values("pair_id", ignore_index=True)

    def loops(self, split: str | None = None, *, groups: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per loop: ``loop_id, song_id, role, split, license``, sorted by loop id."""
        columns = ["loop_id", "song_id", "role", "license"]
        frames = [pq.read_table(self.root / rel, columns=columns).to_pandas().assign(split=s)
                  for s in (SPLITS if split is None else (split,)) for rel in self._shards(s, groups, loops=True)]
        if not frames:
            return pd.DataFrame(columns=[*columns[:3], "split", "license"])
        table = pd.concat(frames, ignore_index=True)
        return table[["loop_id", "song_id", "role", "split", "license"]].sort_values("loop_id", ignore_index=True)

    def _build_index(self) -> dict[str, tuple[str, int]]:
        index: dict[str, tuple[str, int]] = {}
        every = [rel for table in self.info.loop_files.values() for paths in table.values() for rel in paths]
        for rel in sorted(every):  # a published view holds protocol loops of groups it does not list
            for row, loop_id in enumerate(pq.read_table(self.root / rel, columns=["loop_id"]).column(0).to_pylist()):
                index.setdefault(loop_id, (rel, row))
        return index

    def _read_row_group(self, rel: str, row: int) -> np.ndarray:
        """Decode ``row`` of ``rel``: its row group's FLAC bytes are read once and kept (bytes are
        cheap, ~1 MB a group), and only the loops asked for are decoded, so random access costs
        one decode per loop and an in-order sweep reads each row group once."""
        if rel not in self._files:
            pf = pq.ParquetFile(self.root / rel)
            self._files[rel] = pf
            sizes = [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)]
            self._rg_starts[rel] = np.cumsum([0] + sizes)
        starts = self._rg_starts[rel]
        rg = int(np.searchsorted(starts, row, side="right") - 1)
        key = (rel, rg)
        group = self._raw.get(key)
        if group is None:
            table = self._files[rel].read_row_group(rg, columns=["loop_id", "audio"])
            group = list(zip(table.column("loop_id").to_pylist(),
                             table.column("audio").combine_chunks().field("bytes").to_pylist()))
            self._raw[key] = group
            while len(self._raw) > RAW_ROW_GROUPS:
                self._raw.popitem(last=False)
        self._raw.move_to_end(key)
        loop_id, data = group[row - int(starts[rg])]
        decoded = decode_loop(data, where=f"{self.root / rel}: loop {loop_id}")
        self._remember(loop_id, decoded)
        return decoded

    def _remember(self, loop_id: str, audio: np.ndarray) -> None:
        self._cache[loop_id] = audio
        self._cache.move_to_end(loop_id)
        while len(self._cache) > max(self._cache_loops, 0):
            self._cache.popitem(last=False)

    def loop_audio(self, ids: Iterable[str]) -> np.ndarray:
        """Audio of the given loop ids, shape (n, 88200), float32, in the order given.

        Raises InputError naming the first unknown id.
        """
        ids = [str(i) for i in ids]
        if self._index is None:
            self._index = self._build_index()
        out = np.empty((len(ids), LOOP_SAMPLES), dtype=np.float32)
        for k, loop_id in enumerate(ids):
            audio = self._cache.get(loop_id)
            if audio is None:
                if loop_id not in self._index:
                    raise InputError(f"{self.root}: no loop {loop_id!r} in the dataset")
                audio = self._read_row_group(*self._index[loop_id])
            else:
                self._cache.move_to_end(loop_id)
            out[k] = audio
        return out

    def _protocol(self, split: str) -> pd.DataFrame:
        from nlc.loops.protocol_tables import protocol_hash

        if self._protocol_tables is None:
            tables = {s: read_protocol_table(self.root / rel) for s, rel in self.info.protocol_files.items()}
            try:
                ok = protocol_hash(tables["classification"], tables["ranking"]) == self.info.content_hash
                problem = "protocol table does not match the content hash in protocol.json"
            except InputError as exc:  # a tampered table may not even be a valid protocol
                ok, problem = False, f"invalid protocol table ({exc})"
            if not ok:
                for rel in self.info.protocol_files.values():
                    if _sha256_cached(self.root / rel) != self.info.files.get(rel):
                        raise IntegrityError(f"{self.root / rel}: {problem}")
                raise IntegrityError(f"{self.root / PROTOCOL_JSON}: content_hash does not match the protocol tables")
            self._protocol_tables = tables
        return self._protocol_tables[split].copy()

    def truth(self) -> dict[str, dict[str, Any]] | None:
        """The corpus ground truth per song id (``tempo`` BPM, ``key`` like ``"D major"``), checked
        against its SHA-256 in ``protocol.json``; None for a build from a corpus without it (FMA)."""
        if TRUTH_JSON not in self.info.files:
            return None
        path = self.root / TRUTH_JSON
        if not path.is_file() or _sha256_cached(path) != self.info.files[TRUTH_JSON]:
            raise IntegrityError(f"{path}: missing or differs from the SHA-256 recorded in protocol.json")
        return dict(json.loads(path.read_text()))

    def classification(self) -> pd.DataFrame:
        """The frozen classification items (hash-checked); one row per (query, candidate, method)."""
        return self._protocol("classification")

    def ranking(self) -> pd.DataFrame:
        """The frozen ranking items (hash-checked): each test source with its candidates."""
        return self._protocol("ranking")

    def verify(self) -> None:
        """Check every shard against its recorded SHA-256 and the dataset fingerprint.

        Raises IntegrityError naming the first file that differs. Hashes are cached per
        process (by path, size and modification time), so re-opening is free.
        """
        for rel, expected in sorted(self.info.files.items()):
            path = self.root / rel
            if not path.is_file():
                raise IntegrityError(f"{path}: listed in protocol.json but missing")
            if _sha256_cached(path) != expected:
                raise IntegrityError(f"{path}: content differs from the SHA-256 recorded in protocol.json")
        data = {rel: h for rel, h in self.info.files.items() if rel.startswith((f"{DATA_DIR}/", f"{LOOPS_DIR}/"))}
        if fingerprint(data) != self.info.dataset_fingerprint:
            raise IntegrityError(f"{self.root / PROTOCOL_JSON}: dataset_fingerprint does not match the data shards")


def open_dataset(path: str | os.PathLike[str], *, verify: bool = True,
                 cache_loops: int = DEFAULT_CACHE_LOOPS) -> LoopsDataset:
    """Open an ``nlc-loops/`` folder.

    Parameters
    ----------
    path : path-like
        The dataset folder (holding ``protocol.json``).
    verify : bool, default True
        Check every shard's SHA-256 and the dataset fingerprint (about 1 s per GB, once per
        process); the protocol hash is always checked when the protocol is read.
    cache_loops : int, default 4096
        Decoded loops kept in memory (LRU), 353 kB each.

    Raises
    ------
    InputError
        ``path`` is not a dataset folder.
    IntegrityError
        A shard or the fingerprint does not match ``protocol.json`` (naming the file).
    """
    root = Path(path)
    info_path = root / PROTOCOL_JSON
    if not info_path.is_file():
        raise InputError(f"{root}: not an nlc-loops folder (no {PROTOCOL_JSON})")
    dataset = LoopsDataset(root, DatasetInfo.load(info_path), cache_loops=cache_loops)
    if verify:
        dataset.verify()
    return dataset
