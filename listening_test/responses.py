"""Read and validate the long-format responses CSV before any statistic is computed.

mir_eval style: :func:`validate` rejects malformed input with an
:class:`~nlc.errors.InputError` naming the file, the line and the column, so a typo in a
spreadsheet never turns into a wrong MOS. The one *tolerated* defect is a participant
who left answers out; the rule (see :data:`INCOMPLETE_RULES`) is applied and reported.

Line numbers are those of the file: the header is line 1, the first answer line 2.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd

from nlc.errors import InputError
from nlc.listening_test.schema import COLUMNS, QUESTIONS, RATING_MAX, RATING_MIN, SOURCE_TYPES

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


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a responses CSV as strings (no type guessing), with a ``line`` column."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
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


def _check_header(frame: pd.DataFrame, source: str) -> None:
    header = [c for c in frame.columns if c != "line"]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise InputError(f"{source} line 1: column {dupes[0]!r} appears twice")
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(map(repr, extra))}"] if extra else []
        )
        raise InputError(f"{source} line 1: {'; '.join(parts)}; expected exactly {','.join(COLUMNS)}")


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
) -> Responses:
    """:func:`read_csv` then :func:`validate`, with the path in every message."""
    return validate(read_csv(path), source=str(path), systems=systems, incomplete=incomplete)
