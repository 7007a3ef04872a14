"""The paper's Figure 4 from a result of :func:`nlc.listening_test.report.analyse`.

Three panels of grouped bars on the 1-5 rating scale (MOS, error bars = 95% CI within the
scale), one bar per system:
A preference (matched / innovative / usable), B musical features (rhythm / harmony /
timbre), C matchness by source type (drum / vocal / melody). The dashed lines mark the
paper's "low ability" thresholds: MOS 3 in A and C, MOS 2 in B.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nlc.listening_test.schema import FEATURE_QUESTIONS, PREFERENCE_QUESTIONS, RATING_MAX, RATING_MIN, SOURCE_TYPES

PANELS: tuple[tuple[str, str, str, tuple[str, ...], float], ...] = (
    ("A", "Preference", "question", PREFERENCE_QUESTIONS, 3.0),
    ("B", "Musical features", "question", FEATURE_QUESTIONS, 2.0),
    ("C", "Matchness by source type", "source_type", SOURCE_TYPES, 3.0),
)
"""(letter, title, key column, categories, threshold) of each panel."""


def _draw(ax: Any, records: list[dict[str, Any]], systems: list[str], key: str,
          categories: tuple[str, ...], threshold: float) -> None:
    cell = {(r["system"], r[key]): r for r in records}
    x = np.arange(len(categories))
    width = 0.8 / max(len(systems), 1)
    for i, system in enumerate(systems):
        means = [cell[(system, c)]["mos"] if (system, c) in cell else np.nan for c in categories]
        low = [cell[(system, c)]["ci_low"] if (system, c) in cell else None for c in categories]
        high = [cell[(system, c)]["ci_high"] if (system, c) in cell else None for c in categories]
        err = np.array([[m - lo if lo is not None else 0.0 for m, lo in zip(means, low, strict=True)],
                        [hi - m if hi is not None else 0.0 for m, hi in zip(means, high, strict=True)]])
        err = np.nan_to_num(err)
        heights = np.nan_to_num(np.asarray(means, dtype=float) - RATING_MIN)  # bars rise from the scale's floor
        ax.bar(x - 0.4 + width * (i + 0.5), heights, width, bottom=RATING_MIN, yerr=err, capsize=2, label=system)
    ax.axhline(threshold, color="0.3", linestyle="--", linewidth=0.8)
    ax.set_xticks(x, categories)
    ax.set_ylim(RATING_MIN, RATING_MAX)  # the rating scale: an axis from 0 would exaggerate every difference
    ax.set_ylabel("MOS")


def plot_figure4(result: dict[str, Any], prefix: str | os.PathLike[str]) -> list[Path]:
    """Write ``PREFIX.png`` (150 dpi) and ``PREFIX.svg``; return both paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = result["systems"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    for ax, (letter, title, key, categories, threshold) in zip(axes, PANELS, strict=True):
        records = result["mos_by_question"] if key == "question" else result["mos_by_source_type"]
        _draw(ax, records, systems, key, categories, threshold)
        ax.set_title(f"({letter}) {title}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", title="system")
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    paths = [prefix.with_name(prefix.name + ".png"), prefix.with_name(prefix.name + ".svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
