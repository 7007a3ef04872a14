"""The vocabulary of the listening test, shared by every module of the kit.

One place names the CSV columns, the six questions and the three source types, so the
questionnaire, the webMUSHRA bridge and the statistics cannot drift apart.
"""

from __future__ import annotations

COLUMNS: tuple[str, ...] = ("participant", "group", "source_type", "system", "question", "rating")
"""Columns of the long-format responses CSV, one row per participant x clip x question.

The statistics work on this table. Files with these columns (a ``system`` column) are the
format written before the page became blind, and are still read as they are."""

CLIP_COLUMNS: tuple[str, ...] = ("participant", "group", "source_type", "clip", "question", "rating")
"""Columns of the CSV the questionnaire page and ``listening-test export`` write: the clip id
instead of the system, since the page never knows which system a clip is. ``nlc-bench stats
--manifest manifest.json`` maps each clip to its system (the answer key stays server-side)."""

SOURCE_TYPES: tuple[str, ...] = ("drum", "vocal", "melody")
"""Source-loop types of the paper's Figure 4C, in plotting order."""

PREFERENCE_QUESTIONS: tuple[str, ...] = ("matched", "innovative", "usable")
"""Figure 4A: do the loops sound matched, is the combination innovative, would you use it."""

FEATURE_QUESTIONS: tuple[str, ...] = ("rhythm", "harmony", "timbre")
"""Figure 4B: do the loops match in rhythm, in harmony, in timbre."""

QUESTIONS: tuple[str, ...] = PREFERENCE_QUESTIONS + FEATURE_QUESTIONS
"""All six Likert questions, in questionnaire order."""

QUESTION_TEXT: dict[str, str] = {
    "matched": "The two loops sound matched.",
    "innovative": "The combination is innovative.",
    "usable": "I would use this combination in a future composition.",
    "rhythm": "The loops match in rhythm.",
    "harmony": "The loops match in harmony.",
    "timbre": "The loops match in timbre.",
}
"""The statement shown for each question, rated from 1 (strongly disagree) to 5 (strongly agree)."""

RATING_MIN: int = 1
RATING_MAX: int = 5
"""The 5-point Likert scale, integers only."""

ROLE_TO_SOURCE_TYPE: dict[str, str] = {"drum": "drum", "other": "melody", "vocal": "vocal", "vocals": "vocal"}
"""Map from instrumentation roles to the paper's source types.

Our offline role backend (``nlc.dataset_builder.roles.detector``) knows ``drum``, ``bass``
and ``other``: ``other`` (pads, leads, keys) stands for the paper's *melody*, and ``bass``
has no group of its own. *vocal* groups need a vocal-aware role backend that labels
loops ``vocal``; without one, no vocal group can be drawn.
"""
