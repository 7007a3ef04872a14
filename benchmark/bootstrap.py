"""Seeded percentile bootstrap for the benchmark's confidence intervals.

Why our own loop rather than :func:`scipy.stats.bootstrap`: classification items are
resampled *within strata* (the protocol method: positive, random, selected, reverse,
shift, rearrange). The protocol fixes how many pairs each method contributes, so a
resample must too; it also keeps both classes in every resample, which ROC-AUC needs.
scipy has no stratified resampling. Ranking resamples whole queries (no strata).

Indices are drawn from ``numpy.random.default_rng(seed)`` in fixed-size chunks, so the
same seed gives the same intervals on every machine and run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from nlc.errors import InputError


N_RESAMPLES: int = 1000
"""Default number of bootstrap resamples."""
CONFIDENCE: float = 0.95
"""Default two-sided confidence level of the percentile intervals."""
_CHUNK: int = 100  # resamples drawn at once; fixed so results never depend on memory


def resample_indices(
    strata: np.ndarray, *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> Iterator[np.ndarray]:
    """Yield chunks of bootstrap index rows, each row resampling within every stratum.

    Parameters
    ----------
    strata : array of shape (n,)
        Stratum label of each item; pass ``np.zeros(n)`` for plain resampling.
    n_resamples : int, default 1000
        Total number of rows yielded over all chunks.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Yields
    ------
    np.ndarray of shape (chunk, n), int64
        Row ``r`` holds, stratum by stratum, as many indices as the stratum has items,
        drawn with replacement from it.
    """
    strata = np.asarray(strata)
    if strata.ndim != 1 or strata.size == 0:
        raise InputError(f"strata must be a non-empty 1-D array, got shape {strata.shape}")
    if n_resamples < 1:
        raise InputError(f"n_resamples must be >= 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    done = 0
    while done < n_resamples:
        size = min(_CHUNK, n_resamples - done)
        parts = [g[rng.integers(0, g.size, size=(size, g.size))] for g in groups]
        yield np.concatenate(parts, axis=1)
        done += size


def bootstrap_samples(
    statistics: Callable[[np.ndarray], dict[str, np.ndarray]],
    strata: np.ndarray,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Resampled values of several statistics sharing the same resamples.

    Parameters
    ----------
    statistics : callable
        Maps an index array of shape (chunk, n) to ``{name: values of shape (chunk,)}``.
    strata, n_resamples, seed
        See :func:`resample_indices`.

    Returns
    -------
    dict of name -> np.ndarray of shape (n_resamples,), float64
    """
    collected: dict[str, list[np.ndarray]] = {}
    for idx in resample_indices(strata, n_resamples=n_resamples, seed=seed):
        for name, values in statistics(idx).items():
            collected.setdefault(name, []).append(np.asarray(values, dtype=np.float64))
    return {name: np.concatenate(chunks) for name, chunks in collected.items()}


def percentile_intervals(
    statistics: Callable[[np.ndarray], dict[str, np.ndarray]],
    strata: np.ndarray,
    *,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of several statistics sharing the same resamples.

    Parameters
    ----------
    statistics, strata, n_resamples, seed
        See :func:`bootstrap_samples`.
    confidence : float, default 0.95
        Two-sided level: the interval runs from the ``(1 - confidence) / 2`` to the
        ``(1 + confidence) / 2`` quantile of the resampled statistic.

    Returns
    -------
    dict of name -> (low, high)
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be in (0, 1), got {confidence}")
    alpha = (1.0 - confidence) / 2.0
    out: dict[str, tuple[float, float]] = {}
    for name, values in bootstrap_samples(statistics, strata, n_resamples=n_resamples, seed=seed).items():
        low, high = np.quantile(values, [alpha, 1.0 - alpha])
        out[name] = (float(low), float(high))
    return out
