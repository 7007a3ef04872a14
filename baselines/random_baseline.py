"""The random baseline: the floor of every metric, identical on every rerun.

Each pair gets a uniform score in [0, 1) drawn from a generator seeded by a hash of the
pair's *samples* (source then target, so the pair is ordered) and a fixed seed. A pair
therefore scores the same whatever batch, order or run it comes in, and nothing about the
audio beyond its identity influences the score: its expected accuracy is 0.5 and its
expected rank of the true target among 100 candidates is 50.5.
"""

from __future__ import annotations

import hashlib

import numpy as np
from nlc.errors import InputError


DEFAULT_SEED: int = 20_200_101
"""Seed mixed into every pair's hash (change it for another draw of the floor)."""


def pair_seed(source: np.ndarray, target: np.ndarray, *, seed: int = DEFAULT_SEED) -> int:
    """A 64-bit integer determined by the pair's float32 samples and ``seed``."""
    digest = hashlib.blake2b(digest_size=8, key=int(seed).to_bytes(8, "little", signed=True))
    digest.update(np.ascontiguousarray(source, dtype=np.float32).tobytes())
    digest.update(b"|")
    digest.update(np.ascontiguousarray(target, dtype=np.float32).tobytes())
    return int.from_bytes(digest.digest(), "little")


def random_scores(sources: np.ndarray, targets: np.ndarray, *, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Uniform [0, 1) score per pair, shape (batch,), deterministic per (pair, seed)."""
    sources = np.asarray(sources, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    if sources.shape != targets.shape or sources.ndim != 2:
        raise InputError(f"sources {sources.shape} and targets {targets.shape} must be equal (batch, samples) shapes")
    return np.array([np.random.default_rng(pair_seed(s, t, seed=seed)).random() for s, t in zip(sources, targets)])
