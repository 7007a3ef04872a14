"""Train / validation / test splits of the positive pairs (paper section 3.1).

The paper reserves "200 loops (1 pair each from 100 different songs)" for evaluation and
splits the rest 4:1 into train and validation; its Table 1 adds up exactly (loops, pairs
and songs of the three splits sum to the totals), so no song is shared between splits.
:func:`assign_splits` implements that rule:

1. **Test**: ``n`` songs drawn uniformly among the songs that have a pair, one pair drawn
   uniformly from each. The *other* pairs of those songs are **excluded** (split ``None``)
   so that no song straddles two splits and each test song contributes exactly one pair.
2. **Validation / train**: the remaining songs, shuffled, split 1:4 by song
   (:func:`n_validation_songs`): validation gets ``round(n_rest / 5)`` songs, but at least
   two when three or more songs remain (the frozen protocol's between-song negatives,
   ``random`` and ``selected``, need a validation loop of *another* song), and at least
   one when two remain.

``n = min(n_test, n_songs // 5)`` (:func:`effective_n_test`): the paper's 100 wherever the corpus
holds at least 500 songs (FMA Hip-Hop gives 3,508), and at most a fifth of the songs for
small corpora (tests, the lmms corpus), so that train and validation keep most of them.
The validation floor of two only changes corpora with 3 to 7 non-test songs (from 8 on,
``round(n_rest / 5) >= 2`` anyway), so the paper-size 4:1 split is untouched; it is what
lets a corpus of 4 to 9 songs with pairs (the Creative Commons lmms projects) build.
:data:`SPLIT_RULE` states all of this in one line for the build report.
Everything depends only on the set of ``(pair_id, song_id)`` and the seed, never on row
order: the same corpus and seed always give the same splits.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from nlc.errors import InputError
from nlc.loops.layout import validate_pairs

SPLITS: tuple[str, ...] = ("train", "validation", "test")
"""Split names, as the Hub expects them."""
VALIDATION_SHARE: float = 0.2
"""Share of the non-test songs that go to validation (4:1 train/validation)."""
TEST_SONG_SHARE: int = 5
"""A corpus gives at most ``n_songs // TEST_SONG_SHARE`` test songs."""
MIN_VALIDATION_SONGS: int = 2
"""Validation songs whenever at least ``MIN_VALIDATION_SONGS + 1`` non-test songs remain, so
that every validation pair has loops of another validation song for its between-song negative."""
SPLIT_RULE: str = ("test = min(requested, songs_with_pairs // 5) songs, one pair each (their other pairs "
                   "left out); the other songs split by song into validation = round(rest / 5), at least "
                   f"{MIN_VALIDATION_SONGS} when rest >= {MIN_VALIDATION_SONGS + 1} (between-song negatives) "
                   "and at least 1 when rest = 2, and train = the rest; no-derivatives songs (cc-by-nd, "
                   "cc-by-nc-nd) are train-only, skipped when test and validation songs are drawn")
"""The split rule in one line, as the build report states it."""


def effective_n_test(n_songs: int, *, n_test: int = 100) -> int:
    """Number of test songs (= test pairs) for a corpus of ``n_songs`` songs with pairs.

    ``min(n_test, n_songs // 5)``: the requested size (default: the paper's 100) when the
    corpus allows it, otherwise a fifth of the songs, rounded down (0 below 5 songs).
    """
    if n_songs < 0 or n_test < 0:
        raise InputError(f"n_songs and n_test must be >= 0, got {n_songs} and {n_test}")
    return min(int(n_test), int(n_songs) // TEST_SONG_SHARE)


def n_validation_songs(n_rest: int) -> int:
    """Number of validation songs among ``n_rest`` non-test songs.

    ``round(n_rest / 5)`` (4:1 train/validation), raised to :data:`MIN_VALIDATION_SONGS`
    when ``n_rest > MIN_VALIDATION_SONGS`` and to 1 when ``n_rest == 2``; 0 or 1 song stays
    in train. Examples: 700 -> 140, 7 -> 2, 4 -> 2, 3 -> 2, 2 -> 1, 1 -> 0.
    """
    if n_rest < 0:
        raise InputError(f"n_rest must be >= 0, got {n_rest}")
    n_val = int(round(n_rest * VALIDATION_SHARE))
    if n_rest > MIN_VALIDATION_SONGS:
        return max(n_val, MIN_VALIDATION_SONGS)
    return max(n_val, 1) if n_rest >= 2 else n_val



def assign_splits(pairs: pd.DataFrame, *, n_test: int = 100, seed: int,
                  train_only: Iterable[str] = ()) -> pd.Series:
    """Split of every positive pair: ``"train"``, ``"validation"``, ``"test"`` or ``None``.

    Parameters
    ----------
    pairs : pd.DataFrame
        One row per positive pair with at least ``pair_id`` (unique) and ``song_id``.
    n_test : int, default 100
        Requested number of test pairs (= test songs); capped by :func:`effective_n_test`.
    seed : int
        Seed of every random choice (numpy ``default_rng``).
    train_only : iterable of str, default ()
        Song ids that may only go to train: the no-derivatives songs, whose loops can never
        be published and so must not be in the frozen protocol (validation and test). The
        split sizes are those of the whole corpus; these songs are skipped when test and
        validation songs are drawn, and a corpus without them splits exactly as before.

    Returns
    -------
    pd.Series of object, index-aligned with ``pairs``, named ``"split"``
        ``None`` marks the pairs left out: the other pairs of the test songs. pandas
        ``groupby("split")`` skips them; the build report counts them.
    """
    validate_pairs(pairs)
    pair_ids = pairs["pair_id"].astype(str).to_numpy()
    song_ids = pairs["song_id"].astype(str).to_numpy()
    rng = np.random.default_rng(seed)
    songs = np.unique(song_ids)  # sorted: independent of row order
    n = effective_n_test(songs.size, n_test=n_test)
    order = rng.permutation(songs.size)
    n_val = n_validation_songs(songs.size - n)
    fixed = set(str(s) for s in train_only)
    eligible = np.array([k for k in order if songs[k] not in fixed], dtype=int)
    test_songs = songs[np.sort(eligible[:n])]
    val_songs = set(songs[eligible[n:n + n_val]])

    split = np.where(np.isin(song_ids, list(val_songs)), "validation", "train").astype(object)
    in_test = np.isin(song_ids, test_songs)
    split[in_test] = None
    for song in test_songs:  # sorted order, so the draws do not depend on row order
        rows = np.flatnonzero(song_ids == song)
        rows = rows[np.argsort(pair_ids[rows], kind="stable")]
        split[rows[rng.integers(rows.size)]] = "test"
    return pd.Series(split, index=pairs.index, name="split", dtype=object)
