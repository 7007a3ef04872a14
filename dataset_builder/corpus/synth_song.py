"""One synthetic song: its plan (tempo, key, loops, layout) and its rendering.

A song is planned from ``default_rng([seed, track_id])`` alone, so any song of a corpus
can be re-rendered on its own and the same seed always gives the same samples. Tempi are
the integer BPM values in 70-140 whose beat is a whole number of samples at 44.1 kHz, so
bar lines, loop lengths and the ground-truth downbeats agree to the sample. Each loop is
rendered once and tiled; the layout then gates it bar by bar, with a few milliseconds of
fade so that entries and exits do not click.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlc.dataset_builder.corpus.synth_layout import LAYOUT_KINDS, make_layout
from nlc.dataset_builder.corpus.synth_loops import KIND_ROLES, PROGRESSIONS, Grid, Harmony, render_loop
from nlc.spec import SAMPLE_RATE

TEMPOS: tuple[int, ...] = tuple(b for b in range(70, 141) if (60 * SAMPLE_RATE) % b == 0)
"""Integer tempi (BPM) in 70..140 whose beat lasts a whole number of samples."""
KIND_ORDER: tuple[str, ...] = ("drums", "perc", "bass", "pad", "lead", "arp")
OPTIONAL_KINDS: tuple[str, ...] = ("pad", "lead", "perc", "arp")
PEAK: float = 0.89
"""Peak amplitude of the mix (about -1 dBFS); stems share the mix's gain."""
FADE_IN_S: float = 0.002
FADE_OUT_S: float = 0.008


@dataclass(frozen=True)
class SongPlan:
    """Everything that decides a song's audio; rendering is a pure function of it."""

    track_id: int
    seed: int
    tempo: int  # BPM
    harmony: Harmony
    swing: float
    kinds: tuple[str, ...]
    loop_bars: tuple[int, ...]
    layout_kind: str
    layout: np.ndarray  # (n_bars, n_loops) int8

    @property
    def bar_samples(self) -> int:
        return 4 * 60 * SAMPLE_RATE // self.tempo

    @property
    def n_bars(self) -> int:
        return int(self.layout.shape[0])

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(KIND_ROLES[k] for k in self.kinds)


def plan_song(track_id: int, *, seed: int) -> SongPlan:
    """Draw a song's plan; layout kinds cycle with the track id so a corpus holds all four evenly."""
    rng = np.random.default_rng([seed, track_id])
    layout_kind = LAYOUT_KINDS[(track_id - 1) % len(LAYOUT_KINDS)]
    n_loops = int(rng.integers(3, 5)) if layout_kind == "every_combination" else int(rng.integers(3, 7))
    extra = rng.choice(OPTIONAL_KINDS, size=n_loops - 2, replace=False).tolist()
    kinds = tuple(k for k in KIND_ORDER if k in {"drums", "bass", *extra})
    mode = "minor" if rng.random() < 0.7 else "major"
    period = int(rng.choice([1, 2]))  # harmonic period in bars = length of every tonal loop
    per_bar = int(rng.choice([1, 2]))  # chords per bar
    progs = PROGRESSIONS[mode]
    prog = progs[rng.integers(len(progs))]
    harmony = Harmony(root=int(rng.integers(12)), mode=mode, chords=tuple(prog[: period * per_bar]),
                      chord_steps=16 // per_bar)
    loop_bars = tuple(int(rng.choice([1, 2])) if k in ("drums", "perc") else period for k in kinds)
    tempo = int(rng.choice(TEMPOS))
    swing = float(rng.uniform(0.05, 0.2)) if rng.random() < 0.5 else 0.0
    layout = make_layout(layout_kind, kinds, loop_bars, rng=rng)
    return SongPlan(track_id=track_id, seed=seed, tempo=tempo, harmony=harmony, swing=swing, kinds=kinds,
                    loop_bars=loop_bars, layout_kind=layout_kind, layout=layout)


def _arrange(loop: np.ndarray, active: np.ndarray, bar_samples: int) -> np.ndarray:
    """Full-length stem: the loop's bar ``b % loop_bars`` wherever ``active[b]``, silence elsewhere,
    with short linear fades at every entry and exit (a few ms, so gating does not click)."""
    n_loop_bars = loop.size // bar_samples
    stem = np.zeros(active.size * bar_samples, dtype=np.float32)
    fade_in, fade_out = int(FADE_IN_S * SAMPLE_RATE), int(FADE_OUT_S * SAMPLE_RATE)
    ramp_in = np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    ramp_out = np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
    for b in np.flatnonzero(active):
        start, src = b * bar_samples, (b % n_loop_bars) * bar_samples
        stem[start:start + bar_samples] = loop[src:src + bar_samples]
        if b == 0 or not active[b - 1]:
            stem[start:start + fade_in] *= ramp_in
        if b == active.size - 1 or not active[b + 1]:
            stem[start + bar_samples - fade_out:start + bar_samples] *= ramp_out
    return stem


def render_song(plan: SongPlan) -> tuple[np.ndarray, list[np.ndarray]]:
    """Render a planned song.

    Returns
    -------
    mix : np.ndarray, shape (n_bars * bar_samples,), float32
        The sum of the stems, peak-normalised to :data:`PEAK`.
    stems : list of np.ndarray
        One full-length float32 stem per loop (``plan.kinds`` order), scaled like the mix.
    """
    bar = plan.bar_samples
    stems = []
    mix = np.zeros(plan.n_bars * bar, dtype=np.float32)
    for j, (kind, bars) in enumerate(zip(plan.kinds, plan.loop_bars)):
        rng = np.random.default_rng([plan.seed, plan.track_id, 1000 + j])
        loop = render_loop(kind, Grid(bar_samples=bar, bars=bars, swing=plan.swing), plan.harmony, rng,
                           song_kinds=plan.kinds).astype(np.float32)
        stem = _arrange(loop, plan.layout[:, j], bar)
        mix += stem
        stems.append(stem)
    gain = np.float32(PEAK / max(float(np.max(np.abs(mix))), 1e-9))
    mix *= gain
    for stem in stems:
        stem *= gain
    return mix, stems
