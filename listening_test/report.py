"""Assemble the statistics into one result (JSON) and render it as a markdown report."""

from __future__ import annotations

import math
from typing import Any, cast

import pandas as pd

from nlc.listening_test import stats
from nlc.listening_test.responses import Responses
from nlc.listening_test.schema import QUESTIONS, SOURCE_TYPES
from nlc.provenance import package_versions

METHODS_NOTE: str = (
    "MOS = mean of all ratings of a cell, 95% CI from Student's t (sd with ddof=1). "
    "Cronbach's alpha: pingouin.cronbach_alpha on one row per rated clip (participant x group x system) "
    "and one column per question (6 items), Feldt 95% CI. "
    "Wilcoxon signed-rank per question and system pair on each participant's mean rating per system, "
    "pingouin.wilcoxon(alternative='two-sided', zero_method='wilcox', correction=True): "
    "continuity correction ON (pingouin's default; scipy's default is off); p exact for <= 50 differences "
    "with no zero and no tie, else the normal approximation with tie and continuity correction (R's "
    "wilcox.test rule; column 'method'). Holm correction within each question over its system pairs. "
    "Effect size: matched-pairs rank-biserial correlation (pingouin column RBC), > 0 when system A is rated higher."
)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{cast(str, k): _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def analyse(responses: Responses, *, systems: list[str] | None = None) -> dict[str, Any]:
    """Every statistic of the report as a JSON-ready dict (NaN becomes null)."""
    data = responses.data
    order = systems or sorted(data["system"].unique())
    mos_q = stats.mos_by_question(data)
    mos_st = stats.mos_by_source_type(data)
    tests = stats.pairwise_wilcoxon(data, systems=order)
    versions = package_versions(("pingouin", "scipy", "pandas", "numpy"))
    return {
        "source": responses.source,
        "n_participants": int(data["participant"].nunique()),
        "n_groups": int(data["group"].nunique()),
        "n_answers": len(data),
        "systems": order,
        "incomplete_rule": responses.incomplete_rule,
        "incomplete_participants": {p: m for p, m in sorted(responses.incomplete.items())},
        "dropped_participants": responses.dropped,
        "mos_by_question": _records(mos_q),
        "mos_by_source_type": _records(mos_st),
        "cronbach_alpha": {k: _clean(v) for k, v in stats.cronbach(data).items()},
        "wilcoxon": _records(tests),
        "wilcoxon_options": {**stats.WILCOXON_OPTIONS, "method": f"exact if n <= {stats.EXACT_MAX_N} "
                             "without zero or tied differences, else asymptotic"},
        "methods": METHODS_NOTE,
        "versions": versions,
    }


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _p(value: Any) -> str:
    if value is None:
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _mos_grid(records: list[dict[str, Any]], systems: list[str], key: str, columns: tuple[str, ...]) -> list[str]:
    cell = {(r["system"], r[key]): r for r in records}
    present = [c for c in columns if any((s, c) in cell for s in systems)]
    lines = ["| system | " + " | ".join(present) + " |", "|---" * (len(present) + 1) + "|"]
    for system in systems:
        parts = []
        for c in present:
            r = cell.get((system, c))
            parts.append("–" if r is None else f"{_fmt(r['mos'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] (n={r['n']})")
        lines.append(f"| {system} | " + " | ".join(parts) + " |")
    return lines


def to_markdown(result: dict[str, Any]) -> str:
    """The human-readable report printed by ``nlc-bench stats``."""
    systems = result["systems"]
    alpha = result["cronbach_alpha"]
    out = [
        f"# Listening test: {result['source']}",
        "",
        f"{result['n_participants']} participant(s), {result['n_groups']} group(s), {result['n_answers']} answers, "
        f"systems: {', '.join(systems)}.",
    ]
    if result["incomplete_participants"]:
        names = ", ".join(sorted(result["incomplete_participants"]))
        action = "left out of every statistic" if result["incomplete_rule"] == "drop" else "kept with the answers they gave"
        out.append(f"Participants with missing answers ({action}, rule `{result['incomplete_rule']}`): {names}.")
    out += ["", "## MOS [95% CI] per system x question", ""]
    out += _mos_grid(result["mos_by_question"], systems, "question", QUESTIONS)
    out += ["", "## Matchness MOS [95% CI] per system x source type", ""]
    out += _mos_grid(result["mos_by_source_type"], systems, "source_type", SOURCE_TYPES)
    if alpha.get("note"):
        reliability = (f"Cronbach's alpha undefined: {alpha['note']} "
                       f"({alpha['n_clips']} rated clips x {alpha['k_items']} items).")
    else:
        reliability = (f"Cronbach's alpha = {_fmt(alpha['alpha'], 3)} (95% CI {_fmt(alpha['ci_low'], 3)}–"
                       f"{_fmt(alpha['ci_high'], 3)}; {alpha['n_clips']} rated clips x {alpha['k_items']} items).")
    out += ["", "## Reliability", "", reliability, "",
            "## Wilcoxon signed-rank tests (paired by participant)", "",
            "| question | A | B | n | mean A | mean B | W | p | p (Holm) | RBC |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["wilcoxon"]:
        out.append(f"| {r['question']} | {r['system_a']} | {r['system_b']} | {r['n']} | {_fmt(r['mean_a'])} | "
                   f"{_fmt(r['mean_b'])} | {_fmt(r['W'], 1)} | {_p(r['p'])} | {_p(r['p_holm'])} | {_fmt(r['rbc'], 3)} |")
    notes: dict[str, int] = {}
    for r in result["wilcoxon"]:
        if r.get("note"):
            notes[r["note"]] = notes.get(r["note"], 0) + 1
    if notes:
        out += [""] + [f"Note on {count} of {len(result['wilcoxon'])} tests: {note}."
                       for note, count in notes.items()]
    out += ["", "## Methods", "", result["methods"],
            f"Versions: pingouin {result['versions'].get('pingouin')}, scipy {result['versions'].get('scipy')}.", ""]
    return "\n".join(out)
