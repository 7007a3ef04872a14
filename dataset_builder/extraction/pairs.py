"""Step 6: positive pairs, loops that play together (paper section 3.2).

Two loops co-occur when both have a normalised activation of at least ``threshold``
(paper: 0.2) in the same bar; every co-occurring pair is one positive pair of the dataset.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np


def active(layout: np.ndarray, *, threshold: float = 0.2) -> np.ndarray:
    """Boolean (bars, loops): which loops play in which bar."""
    return np.asarray(layout) >= threshold


def co_occurring_pairs(layout: np.ndarray, *, threshold: float = 0.2) -> list[tuple[int, int]]:
    """Sorted unique column pairs ``(i, j)``, ``i < j``, active together in at least one bar."""
    on = active(layout, threshold=threshold)
    found: set[tuple[int, int]] = set()
    for row in on:
        found.update(combinations(np.flatnonzero(row).tolist(), 2))
    return sorted(found)
