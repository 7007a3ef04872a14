"""Synthetic loop-based songs with a known layout, for the extraction tests.

Each song is a sum of one-bar loops (drums, bass, pad, lead) placed on a 4/4 grid
according to a layout matrix (bars x loops of 0/1), preceded by ``pickup_beats`` beats of
hi-hat so that the first tracked beat is *not* a downbeat. Everything is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SR = 44_100
ROLES: tuple[str, ...] = ("drums", "bass", "pad", "lead")


@dataclass(frozen=True)
class SynthSong:
    audio: np.ndarray  # float32 mono at SR
    stems: dict[str, np.ndarray]
    tempo: float  # BPM
    downbeats: np.ndarray  # seconds, one per bar (bar starts)
    layout: np.ndarray  # (n_bars, n_loops) of 0/1, columns in ROLES order


def _env(n: int, attack: int, decay: float) -> np.ndarray:
    t = np.arange(n)
    env = np.exp(-t / max(decay, 1.0))
    if attack > 0:
        env[:attack] *= np.linspace(0.0, 1.0, attack)
    return env


def _tone(freq: float, n: int, *, harmonics: int = 3) -> np.ndarray:
    t = np.arange(n) / SR
    return sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1))


def _loop(role: str, bar: int, beat: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(bar)
    if role == "drums":
        for b in range(4):
            s = b * beat
            if b % 2 == 0:
                n = beat
                t = np.arange(n) / SR
                kick = np.sin(2 * np.pi * (50 * t + 60 * (1 - np.exp(-t * 30)) / 30)) * _env(n, 0, 0.12 * SR)
                out[s:s + n] += 0.9 * kick
            else:
                n = beat // 2
                out[s:s + n] += 0.5 * rng.standard_normal(n) * _env(n, 0, 0.05 * SR)
        for e in range(8):
            n = beat // 8
            hat = np.diff(rng.standard_normal(n + 1)) * _env(n, 0, 0.01 * SR)
            out[e * beat // 2:e * beat // 2 + n] += 0.15 * hat
    elif role == "bass":
        for b, f in enumerate((55.0, 55.0, 65.4, 73.4)):
            out[b * beat:(b + 1) * beat] += 0.5 * _tone(f, beat, harmonics=5) * _env(beat, 200, 0.3 * SR)
    elif role == "pad":
        chord = sum(_tone(f, bar, harmonics=2) for f in (261.6, 329.6, 392.0))
        out += 0.12 * chord * np.minimum(1.0, np.arange(bar) / (0.05 * SR))
    elif role == "lead":
        notes = (880.0, 1046.5, 1318.5, 1046.5, 1174.7, 1318.5, 1568.0, 1318.5)
        n = beat // 2
        for i, f in enumerate(notes):
            out[i * n:(i + 1) * n] += 0.25 * _tone(f, n, harmonics=2) * _env(n, 100, 0.08 * SR)
    else:
        raise ValueError(role)
    return out


DEFAULT_LAYOUT = np.array(
    [[1, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0],
     [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 1, 1], [0, 0, 1, 1],
     [1, 1, 1, 1], [1, 1, 1, 1], [0, 1, 0, 1], [0, 1, 0, 1],
     [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 0, 1], [1, 1, 0, 1]],
    dtype=np.int64,
)


def make_song(
    *, tempo: float = 100.0, layout: np.ndarray = DEFAULT_LAYOUT, pickup_beats: int = 1, seed: int = 0,
) -> SynthSong:
    """Render a song: ``layout[i, j] == 1`` when loop ``ROLES[j]`` plays in bar ``i``."""
    rng = np.random.default_rng(seed)
    beat = int(round(SR * 60.0 / tempo))
    bar = 4 * beat
    loops = {r: _loop(r, bar, beat, rng) for r in ROLES[: layout.shape[1]]}
    start = pickup_beats * beat
    n = start + layout.shape[0] * bar + SR // 2
    stems = {r: np.zeros(n) for r in loops}
    for i, row in enumerate(layout):
        for j, on in enumerate(row):
            if on:
                r = ROLES[j]
                stems[r][start + i * bar:start + (i + 1) * bar] += loops[r]
    # pickup: hi-hat eighths only
    for e in range(2 * pickup_beats):
        m = beat // 8
        stems[ROLES[0]][e * beat // 2:e * beat // 2 + m] += 0.15 * np.diff(rng.standard_normal(m + 1))
    audio = sum(stems.values())
    audio = 0.8 * audio / np.max(np.abs(audio))
    downbeats = (start + np.arange(layout.shape[0]) * bar) / SR
    return SynthSong(
        audio=audio.astype(np.float32), stems={k: v.astype(np.float32) for k, v in stems.items()},
        tempo=60.0 * SR / beat, downbeats=downbeats, layout=np.asarray(layout),
    )
