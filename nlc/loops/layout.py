"""Names, schemas and the canonical loop encoding of the ``nlc-loops/`` folder.

Shared by the writer (:mod:`~nlc.dataset_builder.release.writer`) and the reader
(:mod:`~nlc.loops.reader`), so the two can never disagree about a file name, a
column or how a loop is stored. Importing this module does not import ``datasets``;
only :func:`pair_features` / :func:`protocol_features` do.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import soundfile as sf

from nlc.errors import InputError
from nlc.spec import LOOP_SAMPLES, SAMPLE_RATE

SPLITS: tuple[str, ...] = ("train", "validation", "test")
PROTOCOL_SPLITS: tuple[str, ...] = ("classification", "ranking")
DATA_DIR = "data"
"""Pair tables (ids and metadata, no audio): ``data/<group>/<split>-*.parquet``."""
LOOPS_DIR = "loops"
"""Loop tables (each loop once, FLAC): ``loops/<group>/<split>-*.parquet``."""
PROTOCOL_DIR = "protocol"
PROTOCOL_JSON = "protocol.json"
BUILD_REPORT = "build_report.json"
CARD = "README.md"
TRUTH_JSON = "truth.json"
"""Ground truth of a synthetic or lmms build, per song id (``tempo``, ``key``); absent for FMA."""
KEY_TONICS: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
"""Tonic names of a ``truth.json`` key, by semitone above C: a key is written ``"<tonic> major|minor"``."""


def key_name(tonic: int, mode: str) -> str:
    """A key as ``truth.json`` writes it: ``key_name(2, "major") == "D major"``."""
    return f"{KEY_TONICS[int(tonic) % 12]} {mode}"
LOOPS_CONFIG_SUFFIX = "-loops"
"""A group's loop config is ``<group>-loops``; the protocol's is ``protocol-loops``."""
PROTOCOL_LOOP_SPLITS: tuple[str, ...] = ("validation", "test")
"""The splits the frozen protocol draws its loops from (queries and candidates from test,
between-song negatives from validation); ``protocol-loops`` is exactly their loop files."""
NO_DERIVATIVES_GROUPS: frozenset[str] = frozenset({"cc-by-nd", "cc-by-nc-nd"})
"""Groups whose licence forbids adaptations. A loop is a separated, time-stretched excerpt,
i.e. an adaptation, so these songs stay in the train split of a local build (never in the
frozen protocol) and ``dataset publish`` never uploads them."""
ROW_GROUP_ROWS: int = 16
"""Rows per Parquet row group of a loop table (~1.1 MB of FLAC), so the reader's random access is cheap."""
MAX_SHARD_ROWS: int = 2048
"""Rows per shard (loop shards of ~140 MB); bigger tables get ``-00000-of-00003`` style shards."""
COMPRESSION: str = "zstd"
"""Compression of every column but the audio bytes, which are FLAC already."""

PAIR_COLUMNS: tuple[str, ...] = (
    "pair_id", "song_id", "source_id", "target_id",
    "source_role", "target_role", "tempo", "license", "license_raw", "artist", "title",
)
"""Columns of a pair table: one row per positive pair; the audio is in the loop tables."""
LOOP_COLUMNS: tuple[str, ...] = (
    "loop_id", "song_id", "audio", "role", "tempo", "license", "license_raw", "artist", "title",
)
"""Columns of a loop table: one row per loop, ``audio`` a FLAC ``datasets.Audio`` struct."""
ROLES: tuple[str, ...] = ("drum", "bass", "other")
"""Instrumentation roles a loop may carry (``source_role``/``target_role``): the paper's
"selected" negatives avoid pure drum and pure bass loops (section 4.1.1)."""
PROTOCOL_COLUMNS: tuple[str, ...] = (
    "item_id", "task", "query_id", "candidate_id", "label", "method", "shift_beats", "permutation",
)


def pair_features() -> Any:
    """The ``datasets.Features`` of a pair row (ids and metadata; no audio)."""
    from datasets import Features, Value

    text = Value("string")
    return Features({
        "pair_id": text, "song_id": text, "source_id": text, "target_id": text,
        "source_role": text, "target_role": text, "tempo": Value("float64"),
        "license": text, "license_raw": text, "artist": text, "title": text,
    })


def loop_features() -> Any:
    """The ``datasets.Features`` of a loop row (audio as ``Audio(sampling_rate=44100)``)."""
    from datasets import Audio, Features, Value

    text = Value("string")
    return Features({
        "loop_id": text, "song_id": text, "audio": Audio(sampling_rate=SAMPLE_RATE), "role": text,
        "tempo": Value("float64"), "license": text, "license_raw": text, "artist": text, "title": text,
    })


def protocol_features() -> Any:
    """The ``datasets.Features`` of a frozen protocol row (both tasks, one schema)."""
    from datasets import Features, List, Value

    text = Value("string")
    return Features({
        "item_id": text, "task": text, "query_id": text, "candidate_id": text, "label": Value("int8"),
        "method": text, "shift_beats": Value("int32"), "permutation": List(Value("int32")),
    })


def hub_configs(info: Mapping[str, Any], *, groups: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The ``configs`` of the dataset card for ``info`` (``protocol.json``), Hub YAML shape.

    Per license group ``<group>`` (pairs) and ``<group>-loops`` (its loops), then ``protocol``
    (classification, ranking) and ``protocol-loops`` (splits validation and test: the loop
    files of every group the protocol draws from). Every file is stored once; configs list
    exact files, so ``protocol-loops`` and a group's ``-loops`` config may name the same file.
    ``groups`` restricts the group configs (the protocol configs are always listed; publish
    uploads the files they name). The first group config is the default.
    """
    chosen = list(info["data_files"]) if groups is None else [g for g in info["data_files"] if g in groups]
    configs: list[dict[str, Any]] = []
    for group in chosen:
        for name, table in ((group, info["data_files"][group]),
                            (group + LOOPS_CONFIG_SUFFIX, info["loop_files"][group])):
            configs.append({"config_name": name,
                            "data_files": [{"split": s, "path": list(table[s])} for s in SPLITS if s in table]})
    if configs:
        configs[0]["default"] = True
    configs.append({"config_name": "protocol",
                    "data_files": [{"split": s, "path": [info["protocol_files"][s]]} for s in PROTOCOL_SPLITS]})
    protocol_loops = [{"split": s, "path": protocol_loop_files(info, s)} for s in PROTOCOL_LOOP_SPLITS]
    configs.append({"config_name": "protocol" + LOOPS_CONFIG_SUFFIX,
                    "data_files": [entry for entry in protocol_loops if entry["path"]]})
    return configs


def protocol_loop_files(info: Mapping[str, Any], split: str | None = None) -> list[str]:
    """The loop files of the frozen protocol (its groups' validation and test loop shards)."""
    splits = PROTOCOL_LOOP_SPLITS if split is None else (split,)
    return [rel for g in info["protocol_groups"] for s in splits for rel in info["loop_files"].get(g, {}).get(s, [])]


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


WAV_HEADER_BYTES: int = 44
"""Size of the header :func:`encode_wav` writes (RIFF, fmt and data chunk heads; no dates)."""


@lru_cache(maxsize=1)
def canonical_wav_header() -> bytes:
    """The header every canonical loop starts with (it depends only on the length, which is fixed)."""
    return encode_wav(np.zeros(LOOP_SAMPLES, dtype=np.float32))[:WAV_HEADER_BYTES]


def is_canonical_wav(data: bytes) -> bool:
    """True for bytes :func:`encode_wav` wrote: the canonical header and 88,200 16-bit samples.

    Such bytes decode to int16 / 32768 without soundfile, and decoding and re-encoding them
    gives them back unchanged (every 16-bit value survives; a test pins it)."""
    return len(data) == WAV_HEADER_BYTES + 2 * LOOP_SAMPLES and data[:WAV_HEADER_BYTES] == canonical_wav_header()


def normalise_wav(data: bytes, *, where: str) -> bytes:
    """Decode WAV/FLAC bytes and re-encode them as the canonical 16-bit PCM loop."""
    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(f"{where}: unreadable loop audio ({exc})") from exc
    if sr != SAMPLE_RATE:
        raise InputError(f"{where}: loop sampled at {sr} Hz, expected {SAMPLE_RATE}")
    return encode_wav(audio.mean(axis=1), where=where)


def encode_flac(wav: bytes, *, where: str) -> bytes:
    """A loop's WAV bytes as FLAC bytes: lossless, so they decode to the same 16-bit samples.

    FLAC takes about 0.38 of the WAV size on music, and libsndfile writes no dates, so the
    same samples always give the same bytes (builds stay byte-identical)."""
    try:
        samples, sr = sf.read(io.BytesIO(wav), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(f"{where}: unreadable loop audio ({exc})") from exc
    if sr != SAMPLE_RATE or samples.shape != (LOOP_SAMPLES, 1):
        raise InputError(f"{where}: expected {LOOP_SAMPLES} mono samples at {SAMPLE_RATE} Hz, "
                         f"got {samples.shape} at {sr} Hz")
    buffer = io.BytesIO()
    sf.write(buffer, samples[:, 0], SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def decode_loop(data: bytes, *, where: str = "loop") -> np.ndarray:
    """A stored loop (FLAC or WAV bytes) -> float32 samples, shape (88200,), int16 / 32768.

    Every decoder of the 16-bit samples agrees on these values (``datasets``' ``Audio``
    included), which is what makes scores reproducible across readers."""
    try:
        samples, _ = sf.read(io.BytesIO(data), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(f"{where}: unreadable loop audio ({exc})") from exc
    mono = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1)
    return mono.astype(np.float32) / np.float32(32768.0)


def fingerprint(files: Mapping[str, str]) -> str:
    """SHA-256 over ``"<relative path> <sha256>"`` lines of the given shards, sorted by path."""
    lines = "".join(f"{rel} {files[rel]}\n" for rel in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


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

def validate_pairs(pairs: pd.DataFrame, *, columns: tuple[str, ...] = ("pair_id", "song_id")) -> None:
    """Reject a pairs table that lacks ``columns``, has missing values or repeated pair ids."""
    if not isinstance(pairs, pd.DataFrame):
        raise InputError(f"pairs must be a pandas DataFrame, got {type(pairs).__name__}")
    missing = [c for c in columns if c not in pairs.columns]
    if missing:
        raise InputError(f"pairs table lacks column(s) {missing}; it has {list(pairs.columns)}")
    for column in columns:
        if pairs[column].isna().any():
            row = pairs.index[pairs[column].isna()][0]
            raise InputError(f"pairs table: missing {column} in row {row!r}")
    duplicated = pairs["pair_id"].astype(str).duplicated()
    if duplicated.any():
        raise InputError(f"pairs table: pair_id {pairs['pair_id'][duplicated].iloc[0]!r} appears more than once")
