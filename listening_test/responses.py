"""Read and validate the long-format responses CSV before any statistic is computed.

mir_eval style: :func:`validate` rejects malformed input with an
:class:`~nlc.errors.InputError` naming the file, the line and the column, so a typo in a
spreadsheet never turns into a wrong MOS. The one *tolerated* defect is a participant
who left answers out; the rule (see :data:`INCOMPLETE_RULES`) is applied and reported.

Line numbers are those of the file: the header is line 1, the first answer line 2.

Two layouts are read. The questionnaire page and ``listening-test export`` write
:data:`~nlc.listening_test.schema.CLIP_COLUMNS` (a ``clip`` column: the page is blind and
never knows the systems); :func:`attach_systems` maps each clip to its system through the
manifest. Files with a ``system`` column (:data:`~nlc.listening_test.schema.COLUMNS`, the
format before the page became blind, or tables made by hand) are read as they are.

Encoding (:func:`decode_csv`): UTF-8, with or without a byte-order mark; a file that is
not valid UTF-8 is read as Windows-1252 (cp1252, what Excel's plain "CSV" writes on
Windows, and a superset of Latin-1's printable characters) and a note says so; a file
valid in neither is refused with the offset of the first bad byte.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd

from nlc.errors import InputError
from nlc.listening_test.manifest import Manifest, check_answers_cover
from nlc.listening_test.schema import CLIP_COLUMNS, COLUMNS, QUESTIONS, RATING_MAX, RATING_MIN, SOURCE_TYPES

FALLBACK_ENCODING: str = "cp1252"
"""Encoding tried when a CSV is not valid UTF-8 (Windows-1252: Excel's "CSV" on Windows)."""

INCOMPLETE_RULES: tuple[str, ...] = ("drop", "keep")
"""What to do with a participant who did not answer every question for every clip.

``drop`` (default): listwise deletion, the participant is left out of every statistic, so
that MOS, alpha and the paired tests all rest on the same people. ``keep``: their given
answers count; alpha uses complete clips only and each Wilcoxon test the participants
who rated both systems. The expected answers of a participant are, for each group they
answered, every system seen in that group (across all participants) x the 6 questions.
"""


@dataclass(frozen=True)
class Responses:
    """Validated answers: ``data`` has the :data:`COLUMNS` plus ``line`` (int, file line)."""

    data: pd.DataFrame
    source: str
    incomplete_rule: str = "drop"
    incomplete: dict[str, list[str]] = field(default_factory=dict)
    """Participant -> a description of each missing answer (group/system/question)."""

    @property
    def dropped(self) -> list[str]:
        return sorted(self.incomplete) if self.incomplete_rule == "drop" else []


def decode_csv(path: str | os.PathLike[str], *, notes: list[str] | None = None) -> str:
    """The text of a CSV file: UTF-8 (a BOM is dropped), else Windows-1252 with a note.

    The note (which encoding was used and why) is appended to ``notes``, or issued as a
    :class:`UserWarning` when ``notes`` is None. A file that decodes in neither is an
    :class:`~nlc.errors.InputError` naming the file and the offset of the first bad byte.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    data = path.read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8 = f"byte 0x{data[start + exc.start]:02x} at offset {start + exc.start}"
    try:
        text = data.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 ({utf8}) nor Windows-1252 (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start}); save it as UTF-8 CSV") from None
    note = f"{path} is not UTF-8 ({utf8}); read as Windows-1252 (cp1252)"
    if notes is None:
        warnings.warn(note, UserWarning, stacklevel=2)
    else:
        notes.append(note)
    return text


def read_csv(path: str | os.PathLike[str], *, notes: list[str] | None = None) -> pd.DataFrame:
    """Read a responses CSV as strings (no type guessing), with a ``line`` column.

    Decoded by :func:`decode_csv` (``notes`` as there)."""
    path = Path(path)
    text = decode_csv(path, notes=notes)
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            header = []
        if not any(cell.strip() for cell in header):
            raise InputError(f"{path}: empty file, expected the header {','.join(COLUMNS)}")
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(header):
                raise InputError(
                    f"{path} line {reader.line_num}: {len(row)} fields, the header has {len(header)}"
                )
            rows.append([*row, reader.line_num])
    frame = pd.DataFrame(rows, columns=[*[h.strip() for h in header], "line"])
    return frame


_NEEDS_MANIFEST = ("{source} line 1: the answers name clips ('clip' column), not systems: give the manifest.json "
                   "of `listening-test make` (stats --manifest) to map clips to systems")


def names_clips(frame: pd.DataFrame) -> bool:
    """Whether a table read by :func:`read_csv` names clips (``clip`` column) instead of systems."""
    return "clip" in frame.columns and "system" not in frame.columns


def _check_header(frame: pd.DataFrame, source: str, columns: tuple[str, ...] = COLUMNS) -> None:
    header = [c for c in frame.columns if c != "line"]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise InputError(f"{source} line 1: column {dupes[0]!r} appears twice")
    if columns == COLUMNS and names_clips(frame):
        raise InputError(_NEEDS_MANIFEST.format(source=source))
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(map(repr, extra))}"] if extra else []
        )
        raise InputError(f"{source} line 1: {'; '.join(parts)}; expected exactly {','.join(columns)}")


def attach_systems(frame: pd.DataFrame, manifest: Manifest, *, source: str = "responses") -> pd.DataFrame:
    """Turn answers naming clips (:data:`~nlc.listening_test.schema.CLIP_COLUMNS`) into the
    long format (:data:`~nlc.listening_test.schema.COLUMNS`) through the manifest.

    Each clip must be in the manifest, in the row's group, whose source type must be the
    row's; the manifest must not have clips that no answer of their group names (a manifest
    of another ``make`` run, see :func:`~nlc.listening_test.manifest.check_answers_cover`).
    Errors name the line and column. Other cells are checked by :func:`validate`.
    """
    frame = frame.copy()
    if "line" not in frame.columns:
        frame["line"] = range(2, len(frame) + 2)
    _check_header(frame, source, CLIP_COLUMNS)
    clips = manifest.clip_index()
    systems: list[str] = []
    seen: dict[str, set[str]] = {}
    cells = [frame[c].astype(str).str.strip() for c in ("clip", "group", "source_type")]
    for clip, group, source_type, line in zip(*cells, frame["line"], strict=True):
        where = f"{source} line {line}"
        if clip not in clips:
            raise InputError(f"{where}, column 'clip': clip {clip!r} not in the manifest" if clip
                             else f"{where}, column 'clip': empty value")
        entry, item = clips[clip]
        if group != entry.group:
            raise InputError(f"{where}, column 'group': clip {clip!r} belongs to group {entry.group!r}, not {group!r}")
        if source_type != entry.source_type:
            raise InputError(f"{where}, column 'source_type': group {group!r} is {entry.source_type!r} in the "
                             f"manifest, not {source_type!r}")
        seen.setdefault(group, set()).add(clip)
        systems.append(item.system)
    check_answers_cover(manifest, seen, source=source)
    frame["system"] = systems
    return frame[[*COLUMNS, "line"]]


def with_systems(frame: pd.DataFrame, manifest: Manifest | None, *, source: str = "responses") -> pd.DataFrame:
    """``frame`` ready for :func:`validate`: clips mapped by :func:`attach_systems` when it
    names clips (which needs the manifest), otherwise unchanged."""
    if not names_clips(frame):
        return frame
    if manifest is None:
        raise InputError(_NEEDS_MANIFEST.format(source=source))
    return attach_systems(frame, manifest, source=source)


def _check_cells(frame: pd.DataFrame, source: str, systems: tuple[str, ...] | None) -> None:
    allowed = {"source_type": SOURCE_TYPES, "question": QUESTIONS, "system": systems}
    for row in frame.itertuples(index=False):
        for column in COLUMNS:
            value = getattr(row, column)
            where = f"{source} line {row.line}, column {column!r}"
            if value == "":
                raise InputError(f"{where}: empty value")
            choices = allowed.get(column)
            if choices is not None and value not in choices:
                raise InputError(f"{where}: unknown value {value!r}, expected one of {', '.join(choices)}")
        rating = cast(str, row.rating)  # read as strings (pandas-stubs type cells as any scalar)
        if not rating.lstrip("+-").isdigit():
            raise InputError(f"{where}: {rating!r} is not an integer rating {RATING_MIN}-{RATING_MAX}")
        if not RATING_MIN <= int(rating) <= RATING_MAX:
            raise InputError(f"{where}: rating {rating} out of range {RATING_MIN}-{RATING_MAX}")


def _check_consistency(frame: pd.DataFrame, source: str) -> None:
    first_type: dict[str, tuple[str, int]] = {}
    for group, source_type, line in zip(frame["group"], frame["source_type"], frame["line"], strict=True):
        seen = first_type.setdefault(group, (source_type, line))
        if seen[0] != source_type:
            raise InputError(
                f"{source} line {line}, column 'source_type': group {group!r} is {source_type!r} here "
                f"but {seen[0]!r} on line {seen[1]} (a group has one source loop)"
            )
    keys = ["participant", "group", "system", "question"]
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        rows = frame[dup].sort_values("line")
        first = rows.iloc[0]
        again = rows[(rows[keys] == first[keys]).all(axis=1)].iloc[1]
        raise InputError(
            f"{source} line {again['line']}, column 'rating': duplicate answer of participant "
            f"{first['participant']!r} for group {first['group']!r}, system {first['system']!r}, "
            f"question {first['question']!r} (first given on line {first['line']})"
        )


def _missing_answers(frame: pd.DataFrame) -> dict[str, list[str]]:
    systems_of_group = frame.groupby("group")["system"].unique()
    missing: dict[str, list[str]] = {}
    for participant, answers in frame.groupby("participant", sort=True):
        given = set(zip(answers["group"], answers["system"], answers["question"], strict=True))
        for group in sorted(answers["group"].unique()):
            for system in sorted(systems_of_group[group]):
                for question in QUESTIONS:
                    if (group, system, question) not in given:
                        missing.setdefault(str(participant), []).append(f"{group}/{system}/{question}")
    return missing


def validate(
    frame: pd.DataFrame,
    *,
    source: str = "responses",
    systems: tuple[str, ...] | list[str] | None = None,
    incomplete: str = "drop",
) -> Responses:
    """Check a responses table and apply the missing-answer rule.

    Parameters
    ----------
    frame : pd.DataFrame
        As returned by :func:`read_csv` (all cells strings, plus ``line``).
    source : str, default "responses"
        Name used in error messages (the file path).
    systems : sequence of str or None, default None
        If given, a ``system`` outside this list is an error.
    incomplete : {"drop", "keep"}, default "drop"
        The rule for participants with missing answers, see :data:`INCOMPLETE_RULES`.

    Returns
    -------
    Responses
        ``data`` with integer ``rating``; under ``drop`` without the incomplete participants.

    Raises
    ------
    InputError
        Naming the line and column of the first problem.
    """
    if incomplete not in INCOMPLETE_RULES:
        raise InputError(f"incomplete rule {incomplete!r} unknown, expected one of {', '.join(INCOMPLETE_RULES)}")
    frame = frame.copy()
    if "line" not in frame.columns:
        frame["line"] = range(2, len(frame) + 2)
    _check_header(frame, source)
    if frame.empty:
        raise InputError(f"{source}: no answers after the header")
    frame[list(COLUMNS)] = frame[list(COLUMNS)].astype(str).apply(lambda col: col.str.strip())
    _check_cells(frame, source, tuple(systems) if systems is not None else None)
    frame["rating"] = frame["rating"].astype(int)
    _check_consistency(frame, source)
    missing = _missing_answers(frame)
    data = frame[[*COLUMNS, "line"]]
    if incomplete == "drop" and missing:
        data = data[~data["participant"].isin(missing)]
        if data.empty:
            raise InputError(f"{source}: every participant has missing answers; nothing left to analyse")
    return Responses(data=data.reset_index(drop=True), source=source, incomplete_rule=incomplete, incomplete=missing)


def load_responses(
    path: str | os.PathLike[str],
    *,
    systems: tuple[str, ...] | list[str] | None = None,
    incomplete: str = "drop",
    manifest: Manifest | None = None,
    notes: list[str] | None = None,
) -> Responses:
    """:func:`read_csv`, :func:`with_systems` (clip ids need ``manifest``) then :func:`validate`,
    with the path in every message."""
    frame = with_systems(read_csv(path, notes=notes), manifest, source=str(path))
    return validate(frame, source=str(path), systems=systems, incomplete=incomplete)
