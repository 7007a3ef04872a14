"""The responses database of ``listening-test serve``: SQLite in WAL mode, one transaction per
submission, committed with ``synchronous=FULL`` before the participant is told it is
stored, so a crash of the server (or the machine) loses nothing that was acknowledged.

Submissions are checked against the stimulus manifest: the clip ids come from the page,
the systems and source types from the manifest (never from the browser), each clip of
the group must be rated on each question with an integer 1-5, and a participant can
submit a group once (a second try is refused, the first answer stays). Participant and
group must be strings SQLite can hold (no lone surrogates, no control characters); anything
else is an :class:`~nlc.errors.InputError` before the database is touched.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nlc.errors import InputError
from nlc.listening_test.manifest import Manifest
from nlc.listening_test.schema import CLIP_COLUMNS, QUESTIONS, RATING_MAX, RATING_MIN

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant TEXT NOT NULL,
    group_id TEXT NOT NULL,
    received TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (participant, group_id)
);
CREATE TABLE IF NOT EXISTS answers (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    participant TEXT NOT NULL,
    group_id TEXT NOT NULL,
    source_type TEXT NOT NULL,
    system TEXT NOT NULL,
    clip TEXT NOT NULL,
    question TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    UNIQUE (participant, group_id, clip, question)
);
"""


class DuplicateSubmission(InputError):
    """This participant already submitted this group."""


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating if needed) the database in WAL mode with full fsync on commit."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    return conn


def _text(payload: dict, key: str) -> str:
    """``payload[key]`` stripped: a string that encodes to UTF-8 and holds no control characters."""
    value = payload.get(key, "")
    if not isinstance(value, str):
        raise InputError(f"submission: {key!r} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"submission: {key!r} is not valid Unicode (lone surrogate)") from None
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InputError(f"submission: {key!r} holds a control character")
    return value.strip()


def check_submission(payload: Any, manifest: Manifest) -> list[tuple[str, str, str, str, str, int]]:
    """Validate a posted submission; return ``(group, source_type, system, clip, question, rating)`` rows."""
    if not isinstance(payload, dict):
        raise InputError("submission must be a JSON object")
    participant = _text(payload, "participant")
    group_id = _text(payload, "group")
    if not participant or len(participant) > 200:
        raise InputError("submission: missing or overlong 'participant'")
    group = next((g for g in manifest.groups if g.group == group_id), None)
    if group is None:
        raise InputError(f"submission: unknown group {group_id!r}")
    answers = payload.get("answers")
    if not isinstance(answers, list):
        raise InputError("submission: 'answers' must be a list")
    clips = {c.clip: c.system for c in group.clips}
    seen: dict[tuple[str, str], int] = {}
    for i, answer in enumerate(answers):
        if not isinstance(answer, dict):
            raise InputError(f"submission: answer {i} is not an object")
        clip, question, rating = answer.get("clip"), answer.get("question"), answer.get("rating")
        if clip not in clips:
            raise InputError(f"submission: answer {i}: clip {clip!r} is not in group {group_id}")
        if question not in QUESTIONS:
            raise InputError(f"submission: answer {i}: unknown question {question!r}")
        if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
            raise InputError(f"submission: answer {i}: rating {rating!r} is not an integer {RATING_MIN}-{RATING_MAX}")
        if (clip, question) in seen:
            raise InputError(f"submission: answer {i}: duplicate answer for clip {clip}, question {question}")
        seen[(clip, question)] = rating
    missing = [f"{c}/{q}" for c in clips for q in QUESTIONS if (c, q) not in seen]
    if missing:
        raise InputError(f"submission: {len(missing)} answer(s) missing, first {missing[0]}")
    return [(group_id, group.source_type, clips[c], c, q, r) for (c, q), r in seen.items()]


def store_submission(conn: sqlite3.Connection, payload: dict, manifest: Manifest) -> int:
    """Check and store one submission in a single transaction; return the number of ratings."""
    rows = check_submission(payload, manifest)
    participant = _text(payload, "participant")
    received = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        raw = json.dumps(payload, sort_keys=True)  # ASCII: lone surrogates in extra keys are escaped
    except (RecursionError, ValueError):
        raise InputError("submission: nested too deeply to store") from None
    try:
        with conn:  # one transaction: all ratings or none
            cur = conn.execute("INSERT INTO submissions (participant, group_id, received, payload) VALUES (?, ?, ?, ?)",
                               (participant, rows[0][0], received, raw))
            conn.executemany(
                "INSERT INTO answers (submission_id, participant, group_id, source_type, system, clip, question, rating)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(cur.lastrowid, participant, *row) for row in rows])
    except sqlite3.IntegrityError:
        raise DuplicateSubmission(f"participant {participant!r} already submitted group {rows[0][0]}") from None
    return len(rows)


def export_csv(conn: sqlite3.Connection) -> str:
    """All stored answers as the CSV ``nlc-bench stats --manifest`` reads: clip ids, not systems
    (the export is served to anyone who reaches the server, so it must not be an answer key)."""
    order = {q: i for i, q in enumerate(QUESTIONS)}
    rows = conn.execute("SELECT participant, group_id, source_type, clip, question, rating, submission_id"
                        " FROM answers").fetchall()
    rows.sort(key=lambda r: (r[6], r[3], order[r[4]]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CLIP_COLUMNS)
    writer.writerows(r[:6] for r in rows)
    return buffer.getvalue()
