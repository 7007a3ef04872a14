"""Which songs of a corpus go into the dataset: FMA's metadata, its audio folders, its licenses.

Every corpus (FMA itself, the synthetic and the lmms corpora) is FMA-shaped
(``fma_metadata/tracks.csv`` plus ``fma_<subset>/NNN/NNNNNN.<ext>``), so this one reader
serves them all. A track is taken when

1. its ``('track', 'genres_all')`` holds the genre id (Hip-Hop, 21, by default: the paper
   searched the tag "Hip-Hop", and ``genres_all`` also holds the parents of sub-genres);
2. its ``('track', 'license')`` maps to one of the seven Creative Commons groups
   (:func:`~nlc.dataset_builder.build.license_groups.license_group`); other licenses are left out and
   counted per license string;
3. it has a non-empty audio file: whole songs in ``fma_full/`` first, else the 30-s clips
   of ``fma_large/`` (bar-level extraction gets few bars out of a clip; the build report
   says how many). FMA's known empty files are skipped here with a reason; truncated
   files are caught per song by the build (:mod:`~nlc.dataset_builder.build.song_task`).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nlc.errors import InputError

from nlc.dataset_builder.fma_metadata import HIPHOP_GENRE_ID, audio_path, read_tracks_csv, track_id_str
from nlc.dataset_builder.build.license_groups import license_group

AUDIO_SUBSETS: tuple[str, ...] = ("full", "large")
"""Audio folders searched, in order of preference (whole songs before 30-s clips)."""
SONG_COLUMNS: tuple[str, ...] = (
    "song_id", "audio_path", "subset", "license", "license_raw", "artist", "title", "duration",
)


@dataclass
class IngestResult:
    """The songs to process and the accounting of everything left out.

    ``songs`` has one row per usable song (:data:`SONG_COLUMNS`), sorted by ``song_id``;
    ``duration`` is FMA's listed duration in seconds (NaN when unknown).
    """

    songs: pd.DataFrame
    n_tracks: int
    n_genre: int
    licenses_left_out: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """The ingest part of ``build_report.json`` (deterministic: no paths or times)."""
        return {
            "tracks_in_metadata": self.n_tracks,
            "tracks_in_genre": self.n_genre,
            "left_out_license": int(sum(self.licenses_left_out.values())),
            "licenses_left_out": dict(sorted(self.licenses_left_out.items())),
            "skipped_input": dict(sorted(self.skipped.items())),
            "songs_to_process": int(len(self.songs)),
            "songs_by_subset": {s: int((self.songs["subset"] == s).sum()) for s in AUDIO_SUBSETS},
        }


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def find_audio(root: Path, track_id: int, *, subsets: tuple[str, ...] = AUDIO_SUBSETS) -> tuple[Path, str] | None:
    """First existing audio file of a track among ``fma_<subset>/`` folders, with its subset."""
    for subset in subsets:
        path = audio_path(root, track_id, subset=subset)
        if path.is_file():
            return path, subset
    return None


def ingest(corpus: str | os.PathLike[str], *, genre_id: int | None = HIPHOP_GENRE_ID,
           subsets: tuple[str, ...] = AUDIO_SUBSETS) -> IngestResult:
    """Read a corpus folder and select the songs to build the dataset from.

    Parameters
    ----------
    corpus : path-like
        Folder holding ``fma_metadata/tracks.csv`` and ``fma_<subset>/`` audio folders.
    genre_id : int or None, default 21 (Hip-Hop)
        FMA genre id required in ``genres_all``; None takes every track.
    subsets : tuple of str, default ("full", "large")
        Audio folders searched in order.

    Raises
    ------
    InputError
        No metadata, or metadata without the columns needed (naming the file).
    """
    root = Path(corpus)
    if not root.is_dir():
        raise InputError(f"{root}: corpus folder does not exist")
    tracks = read_tracks_csv(root)
    n_tracks = int(len(tracks))
    if genre_id is not None and ("track", "genres_all") not in tracks.columns:
        raise InputError(f"{root}: tracks.csv has no ('track', 'genres_all') column to select genre {genre_id}")
    left_out: Counter[str] = Counter()
    skipped: dict[str, str] = {}
    rows = []
    if genre_id is not None:  # one pass over the list column, then only the selected rows
        tracks = tracks[[genre_id in genres for genres in tracks["track", "genres_all"]]]
    tracks = tracks.sort_index()
    n_genre = int(len(tracks))
    duration = (tracks["track", "duration"] if ("track", "duration") in tracks.columns
                else pd.Series(float("nan"), index=tracks.index))
    columns = zip(tracks.index, tracks["track", "license"], tracks["artist", "name"], tracks["track", "title"], duration)
    for track_id, license_raw, artist, title, seconds in columns:
        raw = _text(license_raw)
        group = license_group(raw)
        if group is None:
            left_out[raw or "(none)"] += 1
            continue
        song_id = track_id_str(int(track_id))
        found = find_audio(root, int(track_id), subsets=subsets)
        if found is None:
            skipped[song_id] = f"no audio file in {', '.join(f'fma_{s}/' for s in subsets)}"
            continue
        path, subset = found
        if path.stat().st_size == 0:
            skipped[song_id] = f"{path.relative_to(root)}: empty file"
            continue
        rows.append({
            "song_id": song_id, "audio_path": str(path), "subset": subset, "license": group,
            "license_raw": raw, "artist": _text(artist), "title": _text(title),
            "duration": float(seconds) if pd.notna(seconds) else float("nan"),
        })
    songs = pd.DataFrame(rows, columns=list(SONG_COLUMNS))
    return IngestResult(songs=songs, n_tracks=n_tracks, n_genre=n_genre,
                        licenses_left_out=dict(left_out), skipped=skipped)
