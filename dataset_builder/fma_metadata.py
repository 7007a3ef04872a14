"""FMA's ``fma_metadata/tracks.csv``, written and read exactly as FMA publishes it.

Every corpus nlc-bench reads (FMA itself, the synthetic corpus, the rendered lmms demos)
describes its songs in this one file, so that the dataset builder never needs to know
which corpus it reads. The file has FMA's two-row column header -- the first row names
the table (``album``, ``artist``, ``set``, ``track``), the second the column -- followed by
a ``track_id`` row naming the index; list columns (genres, tags) hold Python list
literals such as ``"[21]"``. Reading mirrors ``utils.load`` of the FMA repository
(https://github.com/mdeff/fma): list columns are parsed back into lists, date columns
into timestamps, ``('set', 'subset')`` into an ordered category.

Audio files live beside it as ``fma_<subset>/NNN/NNNNNN.<ext>``, where ``NNNNNN`` is the
six-digit track id and ``NNN`` its first three digits (:func:`audio_path`).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from nlc.atomic import atomic_path
from nlc.errors import InputError

HIPHOP_GENRE_ID: int = 21
"""FMA's genre id of Hip-Hop (``genres.csv``: 21, top level, title "Hip-Hop")."""
HIPHOP_GENRE_TITLE: str = "Hip-Hop"

TRACKS_CSV: str = "fma_metadata/tracks.csv"
"""Location of the metadata file relative to the corpus root."""

_ALBUM = ("comments", "date_created", "date_released", "engineer", "favorites", "id",
          "information", "listens", "producer", "tags", "title", "tracks", "type")
_ARTIST = ("active_year_begin", "active_year_end", "associated_labels", "bio", "comments",
           "date_created", "favorites", "id", "latitude", "location", "longitude", "members",
           "name", "related_projects", "tags", "website", "wikipedia_page")
_SET = ("split", "subset")
_TRACK = ("bit_rate", "comments", "composer", "date_created", "date_recorded", "duration",
          "favorites", "genre_top", "genres", "genres_all", "information", "interest",
          "language_code", "license", "listens", "lyricist", "number", "publisher", "tags",
          "title")

COLUMNS: tuple[tuple[str, str], ...] = (
    tuple(("album", c) for c in _ALBUM) + tuple(("artist", c) for c in _ARTIST)
    + tuple(("set", c) for c in _SET) + tuple(("track", c) for c in _TRACK)
)
"""The 52 columns of FMA's tracks.csv, in FMA's order (tables and columns sorted)."""

LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("track", "tags"), ("album", "tags"), ("artist", "tags"),
    ("track", "genres"), ("track", "genres_all"),
)
"""Columns holding Python list literals (``"[21]"``, ``"['tag']"``)."""

DATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("track", "date_created"), ("track", "date_recorded"), ("album", "date_created"),
    ("album", "date_released"), ("artist", "date_created"), ("artist", "active_year_begin"),
    ("artist", "active_year_end"),
)
CATEGORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("track", "genre_top"), ("track", "license"), ("album", "type"),
    ("album", "information"), ("artist", "bio"),
)
SUBSETS: tuple[str, ...] = ("small", "medium", "large")
SPLITS: tuple[str, ...] = ("training", "validation", "test")
AUDIO_EXTENSIONS: tuple[str, ...] = ("mp3", "wav", "flac")

NUMERIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("album", "comments"), ("album", "favorites"), ("album", "id"), ("album", "listens"), ("album", "tracks"),
    ("artist", "comments"), ("artist", "favorites"), ("artist", "id"), ("artist", "latitude"),
    ("artist", "longitude"), ("track", "bit_rate"), ("track", "comments"), ("track", "duration"),
    ("track", "favorites"), ("track", "interest"), ("track", "listens"), ("track", "number"),
)
"""Columns FMA publishes as numbers (``duration`` in seconds, counts, ids, coordinates).

An empty cell is missing (NaN); any other cell must be a number, so that ``74s`` in
``duration`` is refused by :func:`read_tracks_csv` instead of failing later."""

REQUIRED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("track", "title"), ("track", "license"), ("track", "genre_top"), ("artist", "name"),
)
"""Columns :func:`read_tracks_csv` insists on (a trimmed FMA file may drop others)."""


def track_id_str(track_id: int) -> str:
    """The six-digit, zero-padded form of a track id (``42 -> "000042"``)."""
    track_id = int(track_id)
    if not 0 <= track_id <= 999_999:
        raise InputError(f"track id {track_id} is outside 0..999999")
    return f"{track_id:06d}"


def audio_path(root: str | os.PathLike[str], track_id: int, *, subset: str = "full",
               ext: str | None = None) -> Path:
    """Path of a track's audio: ``root/fma_<subset>/NNN/NNNNNN.<ext>``.

    Parameters
    ----------
    root : path-like
        Corpus root (the folder holding ``fma_metadata/``).
    track_id : int
        FMA track id (0..999999).
    subset : str, default "full"
        Audio folder suffix: ``full``, ``large``, ``medium`` or ``small``.
    ext : str or None, default None
        File extension without dot. None: the first of mp3, wav, flac that exists, or
        ``mp3`` (FMA's format) when none does.
    """
    tid = track_id_str(track_id)
    folder = Path(root) / f"fma_{subset}" / tid[:3]
    if ext is not None:
        return folder / f"{tid}.{ext.lstrip('.')}"
    for candidate in AUDIO_EXTENSIONS:
        path = folder / f"{tid}.{candidate}"
        if path.is_file():
            return path
    return folder / f"{tid}.mp3"


def tracks_frame(rows: Mapping[int, Mapping[tuple[str, str], Any]]) -> pd.DataFrame:
    """Build a tracks table with FMA's 52 columns from ``{track_id: {(table, col): value}}``.

    Columns not given are left empty (as many are in FMA); list values stay Python lists
    until :func:`write_tracks_csv` writes their repr. Unknown columns are rejected so a
    typo cannot silently produce a file FMA readers do not expect.
    """
    known = set(COLUMNS)
    for tid, row in rows.items():
        unknown = [c for c in row if c not in known]
        if unknown:
            raise InputError(f"track {tid}: columns {unknown} are not FMA tracks.csv columns")
    index = pd.Index(sorted(int(t) for t in rows), name="track_id")
    data = {col: [rows[t].get(col) for t in index] for col in COLUMNS}
    frame = pd.DataFrame(data, index=index)
    frame.columns = pd.MultiIndex.from_tuples(COLUMNS)
    return frame


def _format_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return repr(list(value))
    return value


def write_tracks_csv(path: str | os.PathLike[str], tracks: pd.DataFrame | Mapping[int, Mapping[tuple[str, str], Any]]) -> Path:
    """Write a tracks table as FMA's ``tracks.csv``, atomically (through :mod:`nlc.atomic`).

    ``tracks`` is a frame from :func:`tracks_frame` or :func:`read_tracks_csv`, or the row
    mapping :func:`tracks_frame` takes. List cells are written as their repr (``"[21]"``),
    dates as ``YYYY-MM-DD HH:MM:SS``, the header as FMA's two rows plus the ``track_id`` row.
    """
    frame = tracks if isinstance(tracks, pd.DataFrame) else tracks_frame(tracks)
    if frame.columns.nlevels != 2:
        raise InputError(f"{path}: a tracks table needs a 2-level column index, got {frame.columns.nlevels}")
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_format_cell)
    out.index = out.index.rename("track_id")
    path = Path(path)
    with atomic_path(path) as tmp:
        out.to_csv(tmp, date_format="%Y-%m-%d %H:%M:%S")
    return path


def _parse_list(path: Path, col: tuple[str, str], tid: Any, cell: Any) -> list:
    if not isinstance(cell, str):  # empty cell (NaN) or already parsed
        return list(cell) if isinstance(cell, (list, tuple)) else []
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError) as exc:
        raise InputError(f"{path}: track {tid}, column {col}: not a list literal: {cell!r}") from exc
    if not isinstance(value, list):
        raise InputError(f"{path}: track {tid}, column {col}: expected a list, got {cell!r}")
    return value


def _track_ids(path: Path, index: pd.Index) -> pd.Index:
    """The index as integer track ids 0..999999; an InputError names the track row otherwise.

    Rows are counted from 1 after the header (FMA's free-text cells span several lines, so a
    file line number would mislead)."""
    seen: dict[int, int] = {}
    ids = []
    for row, raw in enumerate(index, start=1):
        text = "" if pd.isna(raw) else str(raw).strip()
        try:
            value = float(text)
            tid = int(value) if value.is_integer() else -1
        except (ValueError, OverflowError):
            tid = -1
        if not 0 <= tid <= 999_999:
            shown = repr(text) if text else "empty"
            raise InputError(f"{path}: track row {row}, column 'track_id': {shown} is not a track id "
                             "(an integer 0..999999)")
        if tid in seen:
            raise InputError(f"{path}: track row {row}, column 'track_id': track {tid} already on track row {seen[tid]}")
        seen[tid] = row
        ids.append(tid)
    return pd.Index(ids, dtype="int64", name="track_id")


def _parse_numbers(path: Path, frame: pd.DataFrame, col: tuple[str, str]) -> pd.Series:
    """``frame[col]`` as numbers (empty cells NaN); an InputError names the first other cell."""
    values = frame[col]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise InputError(f"{path}: track {frame.index[row]}, column {col}: not a number: {values.iloc[row]!r}")
    return numbers


def read_tracks_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read FMA's ``tracks.csv`` (or one written by :func:`write_tracks_csv`).

    This is the stable entry point through which the dataset builder reads every corpus.

    Parameters
    ----------
    path : path-like
        The ``tracks.csv`` file (or a corpus root holding ``fma_metadata/tracks.csv``).

    Returns
    -------
    pd.DataFrame
        Indexed by integer ``track_id``, with a 2-level column index ``(table, column)``
        as in FMA (e.g. ``df['track', 'license']``, ``df['artist', 'name']``). As FMA's
        ``utils.load``: list columns (:data:`LIST_COLUMNS`) hold Python lists (``[21]``),
        date columns are ``datetime64``, ``('set', 'subset')`` is an ordered category
        small < medium < large, and genre_top/license/... are categories.

    Raises
    ------
    InputError
        The file is missing, lacks FMA's header or a required column, has no track row,
        or holds a track id that is not an integer 0..999999 (or appears twice), a
        non-number in a :data:`NUMERIC_COLUMNS` column or a malformed list literal
        (naming file, track and column).
    """
    path = Path(path)
    if path.is_dir():
        path = path / TRACKS_CSV
    if not path.is_file():
        raise InputError(f"{path}: no such tracks.csv")
    try:
        frame = pd.read_csv(path, index_col=0, header=[0, 1], low_memory=False)
    except (ValueError, pd.errors.ParserError, IndexError) as exc:
        raise InputError(f"{path}: not an FMA tracks.csv with a two-row header ({exc})") from exc
    if frame.columns.nlevels != 2:
        raise InputError(f"{path}: expected FMA's two-row column header")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {missing} of FMA's tracks.csv")
    if frame.empty:
        raise InputError(f"{path}: no track rows after FMA's three header rows")
    frame.index = _track_ids(path, frame.index)
    for col in NUMERIC_COLUMNS:
        if col in frame.columns:
            frame[col] = _parse_numbers(path, frame, col)
    for col in LIST_COLUMNS:
        if col in frame.columns:
            frame[col] = [_parse_list(path, col, tid, cell) for tid, cell in zip(frame.index, frame[col])]
    for col in DATE_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], errors="coerce", format="mixed")
    if ("set", "subset") in frame.columns:
        frame["set", "subset"] = frame["set", "subset"].astype(pd.CategoricalDtype(list(SUBSETS), ordered=True))
    for col in CATEGORY_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].astype("category")
    return frame


def iter_track_ids(tracks: pd.DataFrame, *, genre_id: int | None = None) -> Iterable[int]:
    """Track ids of ``tracks`` whose ``('track', 'genres_all')`` holds ``genre_id`` (all if None)."""
    if genre_id is None:
        return [int(t) for t in tracks.index]
    return [int(t) for t, g in zip(tracks.index, tracks["track", "genres_all"]) if genre_id in g]
