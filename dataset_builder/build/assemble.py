"""From finished songs to the released dataset: pairs table, splits, frozen protocol, release.

This is the deterministic half of a build. It reads only the work folder's song records
and the ingest metadata, sorts everything by id, and draws every random choice from the
build seed, so the same records always give the same bytes, whether the songs were
processed in one run or in several interrupted ones, by one worker or by a cluster.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from nlc.errors import InputError

from nlc.loops.layout import NO_DERIVATIVES_GROUPS, PAIR_COLUMNS, is_canonical_wav, normalise_wav
from nlc.dataset_builder.release.writer import write_release
from nlc.dataset_builder.build.workdir import ROLES_FILE, WorkDir

SUMMARY_TEMPO_KEYS: tuple[str, ...] = ("tempo", "bpm")
SUMMARY_BARS_KEYS: tuple[str, ...] = ("n_bars", "bars")


def summary_value(summary: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """First of ``keys`` present in an extraction summary (NaN when none is)."""
    for key in keys:
        if key in summary and summary[key] is not None:
            return summary[key]
    return float("nan")


def song_pairs(work: WorkDir, song: Mapping[str, Any]) -> pd.DataFrame:
    """The positive pairs of one finished song, with roles and metadata (no split yet)."""
    folder = work.song_dir(song["song_id"])
    pairs_csv = folder / "pairs.csv"
    try:
        pairs = pd.read_csv(pairs_csv, dtype=str)
        summary = json.loads((folder / "summary.json").read_text())
        roles = json.loads((folder / ROLES_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: unreadable song record ({exc})") from exc
    if not {"loop_a", "loop_b"} <= set(pairs.columns):
        raise InputError(f"{pairs_csv}: expected columns loop_a, loop_b")
    sid = song["song_id"]
    rows = []
    for a, b in zip(pairs["loop_a"], pairs["loop_b"]):
        for local in (a, b):
            if local not in roles:
                raise InputError(f"{folder}: pair loop {local!r} has no role (missing loops/{local}.wav?)")
        rows.append({
            "pair_id": f"{sid}/{a}-{b}", "song_id": sid, "source_id": f"{sid}/{a}", "target_id": f"{sid}/{b}",
            "source_role": roles[a], "target_role": roles[b],
            "tempo": float(summary_value(summary, SUMMARY_TEMPO_KEYS)),
            "license": song["license"], "license_raw": song["license_raw"],
            "artist": song["artist"], "title": song["title"],
        })
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def pairs_table(work: WorkDir, songs: pd.DataFrame) -> pd.DataFrame:
    """All positive pairs of the finished songs among ``songs``, sorted by ``pair_id``."""
    finished = set(work.finished_ids())
    rows = cast(list[dict[str, Any]], songs.to_dict("records"))  # pandas types record keys as Hashable
    frames = [song_pairs(work, row) for row in rows if row["song_id"] in finished]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    return pd.concat(frames, ignore_index=True).sort_values("pair_id", ignore_index=True)


def clip_report(work: WorkDir, songs: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, Any]:
    """How much the 30-s clips of ``fma_large`` yielded: bars, loops and pairs per clip."""
    clips = songs[songs["subset"] == "large"]["song_id"].tolist()
    finished = set(work.finished_ids())
    bars = []
    for sid in clips:
        if sid in finished:
            summary = json.loads((work.song_dir(sid) / "summary.json").read_text())
            bars.append(float(summary_value(summary, SUMMARY_BARS_KEYS)))
    done = [s for s in clips if s in finished]
    return {
        "clips": len(clips), "clips_extracted": len(done),
        "bars_per_clip_mean": round(float(np.nanmean(bars)), 2) if bars and not np.all(np.isnan(bars)) else None,
        "clips_with_pairs": int(pairs["song_id"].isin(done).groupby(pairs["song_id"]).any().sum()) if len(pairs) else 0,
    }


def canonical_loop_bytes(data: bytes, *, where: str) -> bytes:
    """``data`` as the canonical 16-bit PCM loop: itself when it already is one, without decoding.

    Bytes :func:`~nlc.loops.layout.encode_wav` wrote (:func:`~nlc.loops.layout.is_canonical_wav`)
    are what :func:`~nlc.loops.layout.normalise_wav` would give back, so they are returned as
    they are. Anything else (a record of an older version, a float or stereo WAV, FLAC) is
    normalised.
    """
    if is_canonical_wav(data):
        return data
    return normalise_wav(data, where=where)


def make_loop_reader(work: WorkDir):
    """``loop_wav(loop_id) -> bytes`` reading a finished song's loop once, as canonical 16-bit PCM."""
    @lru_cache(maxsize=4096)
    def loop_wav(loop_id: str) -> bytes:
        song_id, local = loop_id.split("/", 1)
        path = work.song_dir(song_id) / "loops" / f"{local}.wav"
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise InputError(f"{path}: loop audio missing from the song record") from exc
        return canonical_loop_bytes(data, where=str(path))
    return loop_wav


def _released_truth(truth: Mapping[str, Mapping[str, Any]] | None,
                    pairs: pd.DataFrame) -> dict[str, dict[str, Any]] | None:
    """The corpus truth of the songs the release holds (None stays None)."""
    if truth is None:
        return None
    released = set(pairs["song_id"].astype(str))
    return {k: dict(v) for k, v in truth.items() if k in released}


def assemble(work: WorkDir, songs: pd.DataFrame, out: str | os.PathLike[str], *, seed: int, n_test: int = 100,
             report: Mapping[str, Any], truth: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Split the pairs, freeze the protocol and write the dataset folder; returns protocol.json.

    Parameters
    ----------
    work : WorkDir
        Records of the finished songs.
    songs : DataFrame
        Ingest metadata of the songs (:data:`~nlc.dataset_builder.build.ingest.SONG_COLUMNS`).
    out : path-like
        The dataset folder to (re)write.
    seed : int
        Seed of the splits and of the frozen negatives.
    n_test : int, default 100
        Requested test pairs (one per song); small corpora get fewer
        (:func:`~nlc.dataset_builder.build.splits.effective_n_test`).
    report : mapping
        Build report so far; the pair and split accounting is added to it.
    truth : mapping or None
        Ground truth per song id from the corpus (tempo, key), written as ``truth.json``
        for the songs released; None for corpora without ground truth.
    """
    from nlc.loops.protocol_tables import freeze_classification, freeze_ranking
    from nlc.dataset_builder.build.splits import SPLIT_RULE, assign_splits

    all_pairs = pairs_table(work, songs)
    if all_pairs.empty:
        raise InputError(f"{work.root}: no song produced a loop pair; nothing to release "
                         f"(see {len(work.failures())} failures in the work folder)")
    no_derivatives = all_pairs.loc[all_pairs["license"].isin(NO_DERIVATIVES_GROUPS), "song_id"]
    split = assign_splits(all_pairs, n_test=n_test, seed=seed, train_only=no_derivatives.astype(str))
    pairs = all_pairs.assign(split=split)
    excluded = int(pairs["split"].isna().sum())
    pairs = pairs[pairs["split"].notna()].reset_index(drop=True)
    classification = freeze_classification(pairs, seed=seed)
    ranking = freeze_ranking(pairs, seed=seed)
    n_songs = int(all_pairs["song_id"].nunique())
    full_report = dict(report)
    full_report["pairs"] = {
        "positive_pairs_found": int(len(all_pairs)),
        "songs_with_pairs": n_songs,
        "excluded_other_pairs_of_test_songs": excluded,
    }
    full_report["splits"] = {
        "seed": int(seed), "n_test_requested": int(n_test),
        "n_test": int((pairs["split"] == "test").sum()),
        "train_only_no_derivatives_songs": int(no_derivatives.nunique()),
        "rule": SPLIT_RULE,
    }
    full_report["clips"] = clip_report(work, songs, all_pairs)
    return write_release(out, pairs=pairs, loop_wav=make_loop_reader(work), classification=classification,
                         ranking=ranking, seed=seed, build_report=full_report,
                         truth=_released_truth(truth, pairs))
