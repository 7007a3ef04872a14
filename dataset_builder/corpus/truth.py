"""Ground truth of a corpus song: ``ground_truth/NNNNNN/truth.json`` and bar activity.

``truth.json`` holds ``track_id``, ``tempo`` (BPM), ``downbeats`` (seconds), ``n_bars``,
``loops`` (``name``, ``role``, ``stem`` relative to the song folder, ``bars``) and
``layout`` (one list of 0/1 per bar, one entry per loop), plus corpus-specific extras.
Bar activity from stem energies is how the lmms corpus derives its layout and how the
synthetic corpus's layout is checked: a stem is active in a bar when the bar's RMS comes
within ``threshold_db`` of the stem's loudest bar.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from nlc.atomic import write_text
from nlc.dataset_builder.fma_metadata import track_id_str
from nlc.errors import InputError

ACTIVITY_THRESHOLD_DB: float = -30.0
"""A bar counts as active when its RMS is within this many dB of the stem's loudest bar."""
ABSOLUTE_FLOOR_DB: float = -60.0
"""Bars quieter than this (dBFS RMS) are inactive whatever the stem's peak bar."""


def truth_dir(root: str | os.PathLike[str], track_id: int) -> Path:
    """``root/ground_truth/NNNNNN``."""
    return Path(root) / "ground_truth" / track_id_str(track_id)


def bar_rms_db(audio: np.ndarray, bar_starts: np.ndarray) -> np.ndarray:
    """RMS level (dBFS) of ``audio`` between consecutive sample positions ``bar_starts``.

    ``bar_starts`` has n_bars + 1 entries (the last is the end of the last bar); samples
    past the audio's end count as silence.
    """
    audio = np.asarray(audio, dtype=np.float64)
    bar_starts = np.asarray(bar_starts, dtype=np.int64)
    padded = np.concatenate([audio, np.zeros(max(0, int(bar_starts[-1]) - audio.size))])
    csum = np.concatenate([[0.0], np.cumsum(padded ** 2)])
    lengths = np.maximum(np.diff(bar_starts), 1)
    energy = (csum[bar_starts[1:]] - csum[bar_starts[:-1]]) / lengths
    return 10.0 * np.log10(np.maximum(energy, 1e-20))


def bar_activity(stems: list[np.ndarray], bar_starts: np.ndarray, *, threshold_db: float = ACTIVITY_THRESHOLD_DB,
                 floor_db: float = ABSOLUTE_FLOOR_DB) -> np.ndarray:
    """(bars x stems) 0/1 activity: bar RMS within ``threshold_db`` of the stem's loudest bar
    and above ``floor_db`` dBFS."""
    cols = []
    for stem in stems:
        db = bar_rms_db(stem, bar_starts)
        cols.append((db >= db.max() + threshold_db) & (db > floor_db))
    return np.stack(cols, axis=1).astype(np.int8) if cols else np.zeros((len(bar_starts) - 1, 0), np.int8)


def write_truth(folder: str | os.PathLike[str], truth: dict[str, Any]) -> Path:
    """Write ``truth.json`` into ``folder`` atomically (through :mod:`nlc.atomic`); checks the required keys first."""
    required = ("track_id", "tempo", "downbeats", "n_bars", "loops")
    missing = [k for k in required if k not in truth]
    if missing:
        raise InputError(f"{folder}: truth lacks {missing}")
    return write_text(Path(folder) / "truth.json", json.dumps(truth, indent=1))


def read_truth(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``folder/truth.json`` (or the file itself), checking the layout's shape."""
    path = Path(folder)
    path = path / "truth.json" if path.is_dir() else path
    try:
        truth = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable truth.json ({exc})") from exc
    layout = truth.get("layout")
    if layout is not None:
        shape = np.asarray(layout).shape
        if shape != (truth["n_bars"], len(truth["loops"])):
            raise InputError(f"{path}: layout shape {shape} != (n_bars, n_loops) "
                             f"({truth['n_bars']}, {len(truth['loops'])})")
    return truth


def has_stems(truth: dict[str, Any]) -> bool:
    """Whether a song's truth comes with stems (and so with stem-based scores).

    The lmms corpus keeps a song whose stems could not be rendered in time with its mix,
    tempo and downbeats but ``loops: []`` and ``stems_missing: true``; benches that score
    against stems skip such songs, while tempo/downbeat checks can still use them.
    """
    return bool(truth.get("loops")) and not truth.get("stems_missing", False)
