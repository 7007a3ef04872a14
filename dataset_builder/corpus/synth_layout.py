"""Arrangements of the synthetic corpus: which loop plays in which bar.

A layout is a (bars x loops) 0/1 matrix. The four kinds follow the synthetic test sets of
Smith et al.'s loop-extraction work (Smith & Goto, ICASSP 2018; Smith, Kawasaki & Goto,
ISMIR 2019): *sparse* (one or two loops at a time), *dense* (most loops most of the time),
*every-combination* (each non-empty subset of the loops once), and *composed*
(intro / verse / chorus / break / outro sections built from the loops' roles, with loops
entering one by one). Decisions are made per two-bar block so that a two-bar loop always
plays whole; one-bar loops may additionally enter a bar late, i.e. bar by bar.
Every bar has at least one loop and every loop plays somewhere.
"""

from __future__ import annotations

import itertools

import numpy as np
from nlc.errors import InputError


LAYOUT_KINDS: tuple[str, ...] = ("sparse", "dense", "every_combination", "composed")
BLOCK_BARS: int = 2
MIN_BARS: int = 16
MAX_BARS: int = 32


def _ensure_valid(blocks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n_blocks, n_loops = blocks.shape
    for b in np.flatnonzero(blocks.sum(axis=1) == 0):
        blocks[b, rng.integers(n_loops)] = 1
    for j in np.flatnonzero(blocks.sum(axis=0) == 0):
        blocks[rng.integers(n_blocks), j] = 1
    return blocks


def _sparse(n_blocks: int, n_loops: int, rng: np.random.Generator) -> np.ndarray:
    blocks = np.zeros((n_blocks, n_loops), dtype=np.int8)
    for b in range(n_blocks):
        k = 1 if rng.random() < 0.5 else min(2, n_loops)
        blocks[b, rng.choice(n_loops, size=k, replace=False)] = 1
    return blocks


def _dense(n_blocks: int, n_loops: int, rng: np.random.Generator) -> np.ndarray:
    blocks = (rng.random((n_blocks, n_loops)) < 0.8).astype(np.int8)
    entry = rng.permutation(n_loops)[: max(1, n_loops // 2)]
    for i, j in enumerate(entry):  # a few loops enter one block after another
        blocks[: min(i + 1, n_blocks), j] = 0
    return blocks


def _every_combination(n_loops: int, rng: np.random.Generator) -> np.ndarray:
    subsets = [s for k in range(1, n_loops + 1) for s in itertools.combinations(range(n_loops), k)]
    order = rng.permutation(len(subsets))
    rows = []
    for i in order:
        row = np.zeros(n_loops, dtype=np.int8)
        row[list(subsets[i])] = 1
        rows.append(row)
    while len(rows) * BLOCK_BARS < MIN_BARS:  # pad short songs with the full mix
        rows.append(np.ones(n_loops, dtype=np.int8))
    return np.array(rows)


_SECTIONS: dict[str, frozenset[str]] = {
    "intro": frozenset({"pad", "arp", "perc"}),
    "verse": frozenset({"drums", "bass", "pad", "perc"}),
    "chorus": frozenset({"drums", "perc", "bass", "pad", "lead", "arp"}),
    "break": frozenset({"pad", "lead", "arp", "bass"}),
    "outro": frozenset({"drums", "pad", "arp"}),
}
_FORMS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("intro", 2), ("verse", 4), ("chorus", 4), ("verse", 2), ("chorus", 2), ("outro", 2)),
    (("intro", 2), ("verse", 2), ("chorus", 2), ("break", 2), ("chorus", 2)),
    (("intro", 1), ("verse", 4), ("chorus", 2), ("verse", 4), ("chorus", 4), ("outro", 1)),
    (("verse", 2), ("chorus", 2), ("break", 1), ("verse", 2), ("chorus", 2), ("outro", 1)),
)
"""Song forms as (section, blocks) sequences; 8 to 16 blocks (16 to 32 bars)."""


def _composed(kinds: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
    form = _FORMS[rng.integers(len(_FORMS))]
    rows = []
    for section, n in form:
        members = [j for j, k in enumerate(kinds) if k in _SECTIONS[section]]
        if not members:
            members = [int(rng.integers(len(kinds)))]
        for b in range(n):
            row = np.zeros(len(kinds), dtype=np.int8)
            if section == "intro":  # build up: one more loop each block
                row[members[: b + 1]] = 1
            elif section == "outro":  # wind down: one fewer each block
                row[members[: max(1, len(members) - b)]] = 1
            else:
                row[members] = 1
            rows.append(row)
    return np.array(rows)


def make_layout(kind: str, loop_kinds: tuple[str, ...], loop_bars: tuple[int, ...], *,
                rng: np.random.Generator) -> np.ndarray:
    """Draw a (bars x loops) 0/1 layout of ``kind`` for loops of the given kinds and lengths.

    Parameters
    ----------
    kind : str
        One of :data:`LAYOUT_KINDS`.
    loop_kinds : tuple of str
        Loop kind of each column (``drums``, ``bass``, ...), used by ``composed``.
    loop_bars : tuple of int
        Length of each loop in bars (1 or 2); two-bar loops start only on even bars.
    rng : numpy Generator
        The song's generator.

    Returns
    -------
    np.ndarray of shape (n_bars, n_loops), int8, with ``MIN_BARS <= n_bars <= MAX_BARS``.
    """
    n_loops = len(loop_kinds)
    n_blocks = int(rng.integers(MIN_BARS // BLOCK_BARS, MAX_BARS // BLOCK_BARS + 1))
    if kind == "sparse":
        blocks = _sparse(n_blocks, n_loops, rng)
    elif kind == "dense":
        blocks = _dense(n_blocks, n_loops, rng)
    elif kind == "every_combination":
        if n_loops > 4:
            raise InputError("every_combination needs at most 4 loops (2^4 - 1 = 15 blocks)")
        blocks = _every_combination(n_loops, rng)
    elif kind == "composed":
        blocks = _composed(loop_kinds, rng)
    else:
        raise InputError(f"unknown layout kind {kind!r}; expected one of {LAYOUT_KINDS}")
    blocks = _ensure_valid(blocks, rng)
    layout = np.repeat(blocks, BLOCK_BARS, axis=0)
    if kind in ("composed", "dense"):  # one-bar loops may enter a bar late
        for j, bars in enumerate(loop_bars):
            if bars != 1:
                continue
            for b in range(0, layout.shape[0], BLOCK_BARS):
                starts = layout[b, j] and (b == 0 or not layout[b - 1, j])
                if starts and rng.random() < 0.35 and layout[b].sum() > 1 and layout[b + 1, j]:
                    layout[b, j] = 0
    return layout.astype(np.int8)
