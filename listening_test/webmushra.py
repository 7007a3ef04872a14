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
finish-page field changes, or where a (page, clip) pair repeats.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nlc.errors import InputError
from nlc.listening_test.manifest import Manifest
from nlc.listening_test.schema import COLUMNS, QUESTION_TEXT, QUESTIONS, RATING_MAX, RATING_MIN

LIKERT_LABELS: dict[int, str] = {1: "strongly disagree", 2: "disagree", 3: "neutral", 4: "agree", 5: "strongly agree"}
PARTICIPANT_COLUMNS: tuple[str, ...] = ("session_uuid", "participant", "uuid")
LMS_COLUMNS: tuple[str, ...] = ("session_test_id", "trial_id", "stimuli_rating", "stimuli")


def group_config(manifest: Manifest, group: str, *, resource_prefix: str, test_id: str = "nlc_listening") -> dict[str, Any]:
    """The webMUSHRA config (as a dict) for one group; audio paths are ``resource_prefix/<file>``."""
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
            "mustRate": True, "mustPlayback": "ended", "stimuli": stimuli, "response": response,
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


def _participants(rows: list[dict[str, str]], column: str | None, fields: list[str]) -> list[str]:
    if column is not None:
        return [f"{r['session_test_id']}:{r[column].strip()}" for r in rows]
    ids: list[str] = []
    seen: set[tuple[str, str]] = set()
    block, last = 0, None
    for r in rows:
        trial = r["trial_id"].strip()
        key = (trial, r["stimuli"].strip())
        # one config = one group, and write.php appends a session's rows together
        marker = (r["session_test_id"], trial.partition("__")[0], *(r[f] for f in fields))
        if marker != last or key in seen:
            block, seen, last = block + 1, set(), marker
        seen.add(key)
        ids.append(f"{r['session_test_id']}:session{block:04d}")
    return ids


def lms_to_long(path: str | os.PathLike[str], manifest: Manifest, *, participant_column: str | None = None) -> pd.DataFrame:
    """Convert webMUSHRA's ``lms.csv`` to the long format (strings, with file ``line``).

    ``NA`` ratings become missing answers (handled by the incomplete rule of
    :func:`~nlc.listening_test.responses.validate`); any other problem is an InputError
    naming the line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        missing = [c for c in LMS_COLUMNS if c not in header]
        if missing:
            raise InputError(f"{path} line 1: missing webMUSHRA column(s) {', '.join(missing)} (is this lms.csv?)")
        rows: list[dict[str, str]] = []
        lines: list[int] = []  # file line of each row
        for r in reader:
            rows.append(r)
            lines.append(reader.line_num)
    if participant_column is None:
        participant_column = next((c for c in PARTICIPANT_COLUMNS if c in header), None)
    elif participant_column not in header:
        raise InputError(f"{path} line 1: no column {participant_column!r}")
    fields = header[header.index("session_test_id") + 1:header.index("trial_id")]
    clips = manifest.clip_index()
    out = []
    for r, line, participant in zip(rows, lines, _participants(rows, participant_column, fields), strict=True):
        trial = r["trial_id"].strip()
        group, sep, question = trial.partition("__")
        if not sep or question not in QUESTIONS:
            raise InputError(f"{path} line {line}, column 'trial_id': {trial!r} is not <group>__<question>")
        clip = r["stimuli"].strip()
        if clip not in clips:
            raise InputError(f"{path} line {line}, column 'stimuli': clip {clip!r} not in the manifest")
        entry, item = clips[clip]
        if entry.group != group:
            raise InputError(f"{path} line {line}, column 'stimuli': clip {clip!r} belongs to group {entry.group!r}, not {group!r}")
        rating = r["stimuli_rating"].strip()
        if rating.upper() == "NA" or rating == "":
            continue
        out.append({"participant": participant, "group": group, "source_type": entry.source_type,
                    "system": item.system, "question": question, "rating": rating, "line": line})
    return pd.DataFrame(out, columns=[*COLUMNS, "line"])
