"""Bridge to webMUSHRA (audiolabs/webMUSHRA) for labs that already host it.

Config: one YAML per group (a participant takes one group, as in the paper), holding one
``likert_multi_stimulus`` page per question (webMUSHRA's Likert page has a single scale,
so the six questions are six pages; each page shuffles the group's clips), then a
``finish`` page that writes the results. Page ids are ``<group>__<question>``, stimulus
keys the anonymised clip names of the manifest.

Results: webMUSHRA's ``service/write.php`` appends to ``results/<testId>/lms.csv`` the
columns ``session_test_id, <finish-page questionnaire fields...>, trial_id,
stimuli_rating, stimuli, rating_time`` (the rating written with spaces around it, and
``NA`` when not given). :func:`lms_to_long` turns that into our long format. Participants
are told apart by a column (``session_uuid``, ``participant`` or ``uuid``, or the one
named); failing that, by session blocks: write.php appends each session's rows together,
so a new participant starts where the test id, the group (one config per group) or any
finish-page field changes, or where a (page, clip) pair repeats once the current session has
rated every page (a complete session).

Duplicated rows: within one session, a (page, clip) pair given again with the same rating
(a row written twice) is dropped with a warning; given again with another rating it is an
:class:`~nlc.errors.InputError` naming both lines. Without a participant column, a repeat
inside an incomplete session is such a duplicate, and a row identical to the row before it
is one too.

Manifest check: the test id of the configs is ``nlc_listening_<run_id>``
(:func:`webmushra_test_id`), so an ``lms.csv`` is refused with a manifest of another
``make`` run (``session_test_id`` differs); and, with or without a run id, a manifest clip
that no row of its group names is refused too
(:func:`~nlc.listening_test.manifest.check_answers_cover`).
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nlc.errors import InputError
from nlc.listening_test.manifest import Manifest, check_answers_cover
from nlc.listening_test.responses import decode_csv
from nlc.listening_test.schema import COLUMNS, QUESTION_TEXT, QUESTIONS, RATING_MAX, RATING_MIN

LIKERT_LABELS: dict[int, str] = {1: "strongly disagree", 2: "disagree", 3: "neutral", 4: "agree", 5: "strongly agree"}
PARTICIPANT_COLUMNS: tuple[str, ...] = ("session_uuid", "participant", "uuid")
LMS_COLUMNS: tuple[str, ...] = ("session_test_id", "trial_id", "stimuli_rating", "stimuli")
TEST_ID: str = "nlc_listening"
"""webMUSHRA test id of configs written from a manifest without a run id (and its prefix)."""
MUST_PLAYBACK: str = "ended"
"""webMUSHRA's ``mustPlayback`` of every Likert page: a clip's rating unlocks when its player
emits the event of this name, i.e. once the clip has played to its end (``true`` names no
event, so it would never unlock). Our questionnaire page applies the same rule."""


def webmushra_test_id(manifest: Manifest) -> str:
    """The webMUSHRA ``testId`` of a manifest's configs: ``nlc_listening_<run_id>``.

    webMUSHRA writes it in every row of ``lms.csv`` (``session_test_id``) and names the
    results folder after it (``results/<testId>/lms.csv``)."""
    return f"{TEST_ID}_{manifest.run_id}" if manifest.run_id else TEST_ID


def group_config(manifest: Manifest, group: str, *, resource_prefix: str, test_id: str | None = None) -> dict[str, Any]:
    """The webMUSHRA config (as a dict) for one group; audio paths are ``resource_prefix/<file>``.

    ``test_id``: webMUSHRA's ``testId`` (default :func:`webmushra_test_id` the manifest)."""
    test_id = webmushra_test_id(manifest) if test_id is None else test_id
    entry = next((g for g in manifest.groups if g.group == group), None)
    if entry is None:
        raise InputError(f"group {group!r} not in the manifest")
    stimuli = {c.clip: f"{resource_prefix.rstrip('/')}/{c.file}" for c in entry.clips}
    response = [{"value": str(v), "label": f"{v} – {LIKERT_LABELS[v]}"} for v in range(RATING_MIN, RATING_MAX + 1)]
    pages: list[dict[str, Any]] = [{
        "type": "generic", "id": f"{group}__intro", "name": "Loop combinations",
        "content": "You will hear short clips, each a combination of two music loops. "
                   "On each of the next pages, rate every clip on one statement from 1 (strongly disagree) "
                   "to 5 (strongly agree). Please use headphones.",
    }]
    for question in QUESTIONS:
        pages.append({
            "type": "likert_multi_stimulus", "id": f"{group}__{question}", "name": QUESTION_TEXT[question],
            "content": f"Play every clip, then rate it: <b>{QUESTION_TEXT[question]}</b>",
            "mustRate": True, "mustPlayback": MUST_PLAYBACK, "stimuli": stimuli, "response": response,
        })
    pages.append({"type": "finish", "name": "Thank you", "content": "Thank you for taking part!",
                  "showResults": False, "writeResults": True})
    return {"testname": "Loop compatibility listening test", "testId": test_id, "bufferSize": 2048,
            "stopOnErrors": True, "showButtonPreviousPage": True, "remoteService": "service/write.php",
            "pages": pages}


def write_configs(manifest: Manifest, out_dir: str | os.PathLike[str], *,
                  resource_prefix: str = "configs/resources/nlc_listening") -> list[Path]:
    """Write ``webmushra/<group>.yaml`` for every group; return the paths."""
    folder = Path(out_dir) / "webmushra"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for entry in manifest.groups:
        path = folder / f"{entry.group}.yaml"
        config = group_config(manifest, entry.group, resource_prefix=resource_prefix)
        path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths


def _sessions(rows: list[dict[str, str]], lines: list[int], column: str | None, fields: list[str],
              path: Path) -> tuple[list[str], list[bool], list[str]]:
    """Participant of each row, whether the row is a duplicate to drop, and one warning per drop.

    A (page, clip) pair given twice in a session with the same rating is a duplicate; with
    another rating, an InputError naming both lines (see the module notes)."""
    ids: list[str] = []
    drop: list[bool] = []
    notes: list[str] = []
    seen: dict[tuple[str, ...], tuple[int, str]] = {}  # (participant, page, clip) -> first (line, rating)
    block, last, previous = 0, None, None
    for r, line in zip(rows, lines, strict=True):
        trial, clip, rating = r["trial_id"].strip(), r["stimuli"].strip(), r["stimuli_rating"].strip()
        if column is not None:
            participant = f"{r['session_test_id']}:{r[column].strip()}"
        else:
            # one config = one group, and write.php appends a session's rows together
            marker = (r["session_test_id"], trial.partition("__")[0], *(r[f] for f in fields))
            pages = {k[1] for k in seen}
            complete = len(pages) >= len(QUESTIONS) and len(seen) == len(pages) * len({k[2] for k in seen})
            repeated = (f"{r['session_test_id']}:session{block:04d}", trial, clip) in seen
            if marker != last or (repeated and complete and r != previous):
                block, seen, last = block + 1, {}, marker
            participant = f"{r['session_test_id']}:session{block:04d}"
        previous = r
        ids.append(participant)
        key = (participant, trial, clip)
        first = seen.get(key)
        if first is None:
            seen[key] = (line, rating)
            drop.append(False)
        elif first[1] == rating:
            drop.append(True)
            notes.append(f"{path} line {line} repeats line {first[0]} (participant {participant}, page {trial}, "
                         f"clip {clip}, rating {rating}): dropped")
        else:
            raise InputError(f"{path} line {line}, column 'stimuli_rating': participant {participant} rated clip "
                             f"{clip} on page {trial} {rating} here but {first[1]} on line {first[0]}; "
                             "remove the wrong row")
    return ids, drop, notes


def lms_to_long(path: str | os.PathLike[str], manifest: Manifest, *, participant_column: str | None = None,
                notes: list[str] | None = None) -> pd.DataFrame:
    """Convert webMUSHRA's ``lms.csv`` to the long format (strings, with file ``line``).

    ``NA`` ratings become missing answers (handled by the incomplete rule of
    :func:`~nlc.listening_test.responses.validate`); a duplicated row is dropped with a
    warning, appended to ``notes`` (or issued as a :class:`UserWarning` when ``notes`` is
    None), as is the encoding note of :func:`~nlc.listening_test.responses.decode_csv`. Any
    other problem is an InputError naming the line and column: conflicting duplicates, and
    a manifest that is not the one of the test (another ``session_test_id``, an unknown
    clip, a clip no row names; see the module notes).
    """
    path = Path(path)
    found: list[str] = []
    text = decode_csv(path, notes=found)
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in LMS_COLUMNS if c not in header]
        if missing:
            raise InputError(f"{path} line 1: missing webMUSHRA column(s) {', '.join(missing)} (is this lms.csv?)")
        rows: list[dict[str, str]] = []
        lines: list[int] = []  # file line of each row
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) != len(header):
                raise InputError(f"{path} line {reader.line_num}: {len(cells)} fields, the header has {len(header)}")
            rows.append(dict(zip(header, cells, strict=True)))
            lines.append(reader.line_num)
    if participant_column is None:
        participant_column = next((c for c in PARTICIPANT_COLUMNS if c in header), None)
    elif participant_column not in header:
        raise InputError(f"{path} line 1: no column {participant_column!r}")
    fields = header[header.index("session_test_id") + 1:header.index("trial_id")]
    clips = manifest.clip_index()
    test_id = webmushra_test_id(manifest)
    named: dict[str, set[str]] = {}
    for r, line in zip(rows, lines, strict=True):
        if manifest.run_id and r["session_test_id"].strip() != test_id:
            raise InputError(f"{path} line {line}, column 'session_test_id': test {r['session_test_id'].strip()!r}, "
                             f"but the manifest's configs are test {test_id!r}: is it the manifest of another "
                             "`listening-test make` run?")
        trial = r["trial_id"].strip()
        group, sep, question = trial.partition("__")
        if not sep or question not in QUESTIONS:
            raise InputError(f"{path} line {line}, column 'trial_id': {trial!r} is not <group>__<question>")
        clip = r["stimuli"].strip()
        if clip not in clips:
            raise InputError(f"{path} line {line}, column 'stimuli': clip {clip!r} not in the manifest")
        entry, _ = clips[clip]
        if entry.group != group:
            raise InputError(f"{path} line {line}, column 'stimuli': clip {clip!r} belongs to group {entry.group!r}, not {group!r}")
        named.setdefault(group, set()).add(clip)
    check_answers_cover(manifest, named, source=str(path))
    participants, drop, dropped = _sessions(rows, lines, participant_column, fields, path)
    found += dropped
    if notes is None:
        for note in found:
            warnings.warn(note, UserWarning, stacklevel=2)
    else:
        notes += found
    out = []
    for r, line, participant, duplicate in zip(rows, lines, participants, drop, strict=True):
        rating = r["stimuli_rating"].strip()
        if duplicate or rating.upper() == "NA" or rating == "":
            continue
        group, _, question = r["trial_id"].strip().partition("__")
        entry, item = clips[r["stimuli"].strip()]
        out.append({"participant": participant, "group": group, "source_type": entry.source_type,
                    "system": item.system, "question": question, "rating": rating, "line": line})
    return pd.DataFrame(out, columns=[*COLUMNS, "line"])
