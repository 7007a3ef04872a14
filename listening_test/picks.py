"""Which clips a listening test plays: each system's pick per source loop, and the groups.

As in paper section 5.2: every ranking query is a test source loop with 100 candidates
(its true target and the 99 other test targets). A system's *pick* is its top-scored
candidate among the 99 others (the true target excluded; ties go to the candidate that
comes first in protocol order); ``original`` is the true target. The picks of all
systems for one source form a *group*. Groups are drawn per source type (drum, vocal,
melody; see :data:`~nlc.listening_test.schema.ROLE_TO_SOURCE_TYPE`) with a seeded
generator, from the queries sorted by id, so the same seed gives the same groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nlc.errors import InputError
from nlc.listening_test.schema import ROLE_TO_SOURCE_TYPE, SOURCE_TYPES

ORIGINAL: str = "original"
"""System name of the true target."""


def true_targets(ranking: pd.DataFrame) -> dict[str, str]:
    """Query id -> its true target (the candidate labelled 1) in the ranking protocol."""
    positives = ranking[ranking["label"] == 1]
    counts = positives.groupby("query_id").size()
    bad = sorted(set(ranking["query_id"]) - set(counts.index)) + sorted(counts[counts != 1].index)
    if bad:
        raise InputError(f"ranking protocol: query {bad[0]!r} does not have exactly one true target")
    return dict(zip(positives["query_id"], positives["candidate_id"], strict=True))


def top_pick(candidate_ids: list[str], scores: list[float], *, exclude: str) -> str:
    """The highest-scored candidate other than ``exclude`` (first in order on ties)."""
    values = np.asarray(scores, dtype=float)
    mask = np.array([c != exclude for c in candidate_ids])
    if not mask.any():
        raise InputError(f"no candidate other than the true target {exclude!r}")
    values = np.where(mask & ~np.isnan(values), values, -np.inf)
    return candidate_ids[int(np.argmax(values))]


def system_picks(queries: dict[str, tuple[list[str], list[float]]], targets: dict[str, str], *, name: str) -> dict[str, str]:
    """Query id -> pick, for one system's ranking (query id -> candidate ids, scores)."""
    missing = sorted(set(targets) - set(queries))
    if missing:
        raise InputError(f"results of {name!r} lack ranking query {missing[0]!r} of the dataset")
    return {q: top_pick(*queries[q], exclude=targets[q]) for q in sorted(targets)}


def source_types(roles: dict[str, str]) -> dict[str, str]:
    """Loop id -> source type, for the loops whose role maps to one (bass has none)."""
    return {loop: ROLE_TO_SOURCE_TYPE[role] for loop, role in roles.items() if role in ROLE_TO_SOURCE_TYPE}


def choose_groups(query_types: dict[str, str], *, per_type: int = 2, seed: int = 0) -> tuple[list[tuple[str, str]], list[str]]:
    """Draw ``per_type`` source queries of each source type, seeded.

    Returns ``([(query_id, source_type), ...] in drum, vocal, melody order, notes)``;
    a note says when a type has fewer eligible sources than asked for.
    """
    if per_type < 1:
        raise InputError(f"groups per type must be at least 1, not {per_type}")
    rng = np.random.default_rng(seed)
    chosen, notes = [], []
    for source_type in SOURCE_TYPES:
        eligible = sorted(q for q, t in query_types.items() if t == source_type)
        if len(eligible) < per_type:
            hint = " (needs a vocal-aware role backend)" if source_type == "vocal" else ""
            notes.append(f"{source_type}: {len(eligible)} eligible source loop(s), {per_type} asked{hint}")
        take = min(per_type, len(eligible))
        picked: np.ndarray | list[int] = rng.choice(len(eligible), size=take, replace=False) if take else []
        chosen += [(eligible[i], source_type) for i in sorted(int(i) for i in picked)]
    if not chosen:
        raise InputError("no source loop of type drum, vocal or melody among the ranking queries")
    return chosen, notes
