"""Fixtures of the baseline tests: synthesised 2-s loops (no files, no dataset)."""

import numpy as np
import pytest

from nlc.spec import BEAT_SAMPLES, LOOP_SAMPLES, SAMPLE_RATE

T = np.arange(LOOP_SAMPLES) / SAMPLE_RATE


def chord_loop(roots_hz, *, seed: int = 0, drums: bool = True) -> np.ndarray:
    """One chord per beat (root, major third, fifth) plus an optional kick/hat pattern."""
    rng = np.random.default_rng(seed)
    out = np.zeros(LOOP_SAMPLES)
    env = np.exp(-np.arange(BEAT_SAMPLES) / 6000.0)
    for beat, root in enumerate(roots_hz):
        seg = slice(beat * BEAT_SAMPLES, (beat + 1) * BEAT_SAMPLES)
        t = T[seg]
        for ratio in (1.0, 2 ** (4 / 12), 2 ** (7 / 12)):
            out[seg] += 0.15 * np.sin(2 * np.pi * root * ratio * t) * env
    if drums:
        hit = np.exp(-np.arange(2000) / 200.0)
        for k, step in enumerate((0, 3, 6, 8, 11, 14)):  # syncopated sixteenth pattern
            start = step * BEAT_SAMPLES // 4
            noise = rng.standard_normal(2000) * (0.5 if k % 2 else 0.2)
            out[start:start + 2000] += noise * hit
    return out.astype(np.float32)


def random_loops(n: int, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    roots = rng.uniform(110, 330, size=(n, 4))
    return np.stack([chord_loop(r, seed=seed + i) for i, r in enumerate(roots)])


@pytest.fixture(scope="session")
def make_chord_loop():
    """The :func:`chord_loop` synthesiser."""
    return chord_loop


@pytest.fixture(scope="session")
def make_loops():
    """The :func:`random_loops` synthesiser."""
    return random_loops
