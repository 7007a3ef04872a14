"""Step 6: positive pairs, loops that play together (paper section 3.2).

Two loops co-occur when both have a normalised activation of at least ``threshold``
(paper: 0.2) in the same bar; every co-occurring pair is one positive pair of the dataset.

Improved variant (``skip_halves``): a one-bar model splits a two-bar loop into a component
for what both bars share and one for what only every other bar adds; the second plays in
every other bar of the first's bars. Those two are one loop, not a pair, and are not paired.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np


def active(layout: np.ndarray, *, threshold: float = 0.2) -> np.ndarray:
    """Boolean (bars, loops): which loops play in which bar."""
    return np.asarray(layout) >= threshold


def two_bar_halves(on: np.ndarray, *, on_rate: float = 0.7, off_rate: float = 0.2,
                   within: float = 0.8) -> set[tuple[int, int]]:
    """Column pairs ``(i, j)``, ``i < j``, of a boolean (bars, loops) activity where one loop plays
    only in every other bar of the other's bars: at least ``within`` of its bars inside the
    other's, in at least ``on_rate`` of the other's bars of one parity and at most
    ``off_rate`` of the other parity."""
    on = np.asarray(on, dtype=bool)
    parity = np.arange(on.shape[0]) % 2
    found: set[tuple[int, int]] = set()
    for j in range(on.shape[1]):
        for i in range(on.shape[1]):
            oi, oj = on[:, i], on[:, j]
            if i == j or not oj.any() or oi.sum() <= oj.sum() or (oi & oj).sum() < within * oj.sum():
                continue
            rates = [float(oj[oi & (parity == p)].mean()) if (oi & (parity == p)).any() else 0.0 for p in (0, 1)]
            if max(rates) >= on_rate and min(rates) <= off_rate:
                found.add((min(i, j), max(i, j)))
    return found


def co_occurring_pairs(layout: np.ndarray, *, threshold: float = 0.2,
                       skip_halves: bool = False) -> list[tuple[int, int]]:
    """Sorted unique column pairs ``(i, j)``, ``i < j``, active together in at least one bar
    (with ``skip_halves``, except the :func:`two_bar_halves` of one loop)."""
    on = active(layout, threshold=threshold)
    found: set[tuple[int, int]] = set()
    for row in on:
        found.update(combinations(np.flatnonzero(row).tolist(), 2))
    if skip_halves:
        found -= two_bar_halves(on)
    return sorted(found)
