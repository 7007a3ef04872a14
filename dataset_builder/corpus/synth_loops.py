"""Loops of the synthetic corpus: what each instrument plays, rendered once per song.

A song shares one tempo, one key and one chord progression; each loop is one or two bars
on a 16-step-per-bar grid (with the song's swing) and has its own timbre drawn from the
song's generator. Six loop kinds exist, each in its own spectral and rhythmic niche so
that a loop-extraction algorithm can in principle tell them apart:

=========  ======  ==========================================================
kind       role    content
=========  ======  ==========================================================
``drums``  drum    kick + snare (+ 8th-note hats when the song has no ``perc``)
``perc``   drum    16th-note shaker, off-beat open hat, syncopated wood block
``bass``   bass    chord roots and fifths, MIDI 28-47 (41-98 Hz), low-passed
``pad``    pad     sustained detuned-saw chords, MIDI 52-76
``lead``   lead    a riff of chord and scale tones, MIDI 67-86, square/triangle
``arp``    lead    16th-note FM-bell arpeggio of the chord, MIDI 72-96
=========  ======  ==========================================================

Sounds that ring past the loop's end wrap around to its start, so a loop tiles seamlessly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlc.dataset_builder.corpus import synth_voices as v
from nlc.errors import InputError

STEPS_PER_BAR: int = 16
KIND_ROLES: dict[str, str] = {"drums": "drum", "perc": "drum", "bass": "bass", "pad": "pad", "lead": "lead", "arp": "lead"}
KIND_RMS_DB: dict[str, float] = {"drums": -15.0, "perc": -24.0, "bass": -17.0, "pad": -22.0, "lead": -21.0, "arp": -23.0}
"""Target RMS level of each loop kind before mixing, dBFS (a plausible hip-hop balance)."""

SCALES: dict[str, tuple[int, ...]] = {"minor": (0, 2, 3, 5, 7, 8, 10), "major": (0, 2, 4, 5, 7, 9, 11)}
PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 4), (0, 3, 0, 4), (0, 5, 3, 4)),
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 4), (0, 1, 4, 0)),
}
"""Chord progressions as 0-based scale degrees."""


@dataclass(frozen=True)
class Harmony:
    """The song's key and chord progression: ``chords[i]`` is a scale degree lasting ``chord_steps`` steps."""

    root: int  # pitch class 0..11 (0 = C)
    mode: str  # "minor" | "major"
    chords: tuple[int, ...]
    chord_steps: int

    def chord(self, degree: int, *, low: int, size: int = 3) -> list[int]:
        """MIDI pitches of the diatonic chord on ``degree`` (stacked thirds) at or above ``low``."""
        scale = SCALES[self.mode]
        pitches = []
        for k in range(size):
            d = degree + 2 * k
            pitches.append(self.root + scale[d % 7] + 12 * (d // 7))
        shift = 12 * int(np.ceil((low - pitches[0]) / 12))
        return [p + shift for p in pitches]

    def scale_pitches(self, lo: int, hi: int) -> list[int]:
        """All MIDI pitches of the key's scale in [lo, hi]."""
        pcs = {(self.root + s) % 12 for s in SCALES[self.mode]}
        return [p for p in range(lo, hi + 1) if p % 12 in pcs]

    def degree_at(self, step: int) -> int:
        return self.chords[(step // self.chord_steps) % len(self.chords)]


@dataclass(frozen=True)
class Grid:
    """Where 16th-note steps fall in samples, for a loop of ``bars`` bars."""

    bar_samples: int
    bars: int
    swing: float  # fraction of a 16th by which odd 16ths are delayed

    @property
    def n_samples(self) -> int:
        return self.bar_samples * self.bars

    @property
    def step_seconds(self) -> float:
        return self.bar_samples / STEPS_PER_BAR / v.SR

    def pos(self, step: float) -> int:
        delay = self.swing if int(step) % 2 == 1 and float(step).is_integer() else 0.0
        return int(round((step + delay) * self.bar_samples / STEPS_PER_BAR))


def _place(buf: np.ndarray, sound: np.ndarray, pos: int, gain: float = 1.0) -> None:
    """Add ``sound`` into the circular buffer ``buf`` at sample ``pos`` (tails wrap around)."""
    n = buf.size
    sound = sound[:n] * gain
    pos %= n
    first = min(sound.size, n - pos)
    buf[pos:pos + first] += sound[:first]
    if first < sound.size:
        buf[:sound.size - first] += sound[first:]


def _rms_normalise(x: np.ndarray, kind: str) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x ** 2))) + 1e-12
    return x * (10 ** (KIND_RMS_DB[kind] / 20) / rms)


def drums(grid: Grid, rng: np.random.Generator, *, with_hats: bool) -> np.ndarray:
    buf = np.zeros(grid.n_samples)
    k = v.kick(start_hz=rng.uniform(110, 190), end_hz=rng.uniform(40, 58), sweep_s=rng.uniform(0.02, 0.06),
               decay_s=rng.uniform(0.15, 0.35), rng=rng)
    s = v.snare(tone_hz=rng.uniform(160, 240), band=(rng.uniform(900, 1800), rng.uniform(5000, 9000)),
                decay_s=rng.uniform(0.08, 0.18), tone_mix=rng.uniform(0.2, 0.5), rng=rng)
    h = v.hat(cutoff_hz=rng.uniform(6500, 9500), decay_s=rng.uniform(0.02, 0.05), rng=rng)
    kick_patterns = ((0, 10), (0, 3, 10), (0, 8, 10), (0, 7, 9), (0, 4, 8, 12), (0, 6, 10, 11))
    base = kick_patterns[rng.integers(len(kick_patterns))]
    for bar in range(grid.bars):
        off = bar * STEPS_PER_BAR
        kicks = set(base)
        if bar == grid.bars - 1 and grid.bars > 1:
            kicks = set(kick_patterns[rng.integers(len(kick_patterns))]) | {0}
        for st in sorted(kicks):
            _place(buf, k, grid.pos(off + st), rng.uniform(0.85, 1.0))
        for st in (4, 12):
            _place(buf, s, grid.pos(off + st), rng.uniform(0.85, 1.0))
        if rng.random() < 0.5:
            _place(buf, s, grid.pos(off + rng.choice([7, 9, 15])), 0.25)  # ghost note
        if with_hats:
            for st in range(0, STEPS_PER_BAR, 2):
                _place(buf, h, grid.pos(off + st), 0.5 if st % 4 else 0.8)
    return _rms_normalise(buf, "drums")


def perc(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    buf = np.zeros(grid.n_samples)
    shaker = v.hat(cutoff_hz=rng.uniform(4500, 7000), decay_s=rng.uniform(0.015, 0.03), rng=rng)
    open_hat = v.hat(cutoff_hz=rng.uniform(7000, 10000), decay_s=rng.uniform(0.12, 0.25), rng=rng)
    block = v.fm_pluck(rng.uniform(84, 96), 0.01, ratio=rng.choice([1.4, 2.76, 3.5]), index=1.5,
                       decay_s=rng.uniform(0.03, 0.06), rng=rng)
    wood = sorted(rng.choice(STEPS_PER_BAR, size=rng.integers(2, 5), replace=False))
    for bar in range(grid.bars):
        off = bar * STEPS_PER_BAR
        for st in range(STEPS_PER_BAR):
            _place(buf, shaker, grid.pos(off + st), 0.9 if st % 4 == 2 else rng.uniform(0.3, 0.5))
        for st in (2, 6, 10, 14):
            _place(buf, open_hat, grid.pos(off + st), 0.6)
        for st in wood:
            _place(buf, block, grid.pos(off + st), 0.8)
    return _rms_normalise(buf, "perc")


def bass(grid: Grid, harmony: Harmony, rng: np.random.Generator) -> np.ndarray:
    buf = np.zeros(grid.n_samples)
    shape = str(rng.choice(["saw", "square", "sine"]))
    rhythms = ((0, 3, 6, 10, 12), (0, 6, 8, 14), (0, 4, 8, 12), (0, 3, 8, 11, 14), (0, 10))
    rhythm = rhythms[rng.integers(len(rhythms))]
    low = int(rng.integers(28, 36))
    decay = rng.uniform(0.1, 0.5)
    for bar in range(grid.bars):
        starts = [bar * STEPS_PER_BAR + r for r in rhythm]
        for i, st in enumerate(starts):
            nxt = starts[i + 1] if i + 1 < len(starts) else (bar + 1) * STEPS_PER_BAR
            root = harmony.chord(harmony.degree_at(st), low=low)[0]
            pitch = root + (7 if (i % 3 == 2 and rng.random() < 0.5) else 0)
            gate = (nxt - st) * grid.step_seconds * rng.uniform(0.6, 0.95)
            note = v.tone(pitch, gate, shape=shape, attack_s=0.005, decay_s=decay, sustain=0.6,
                          release_s=0.03, rng=rng)
            _place(buf, note, grid.pos(st), 1.0 if i == 0 else 0.85)
    buf = v.lowpass(buf, rng.uniform(250, 700), order=4)
    return _rms_normalise(buf, "bass")


def pad(grid: Grid, harmony: Harmony, rng: np.random.Generator) -> np.ndarray:
    buf = np.zeros(grid.n_samples)
    low = int(rng.integers(52, 60))
    size = int(rng.choice([3, 4]))
    detune, attack = rng.uniform(6, 16), rng.uniform(0.05, 0.3)
    for st in range(0, grid.bars * STEPS_PER_BAR, harmony.chord_steps):
        gate = harmony.chord_steps * grid.step_seconds
        for pitch in harmony.chord(harmony.degree_at(st), low=low, size=size):
            note = v.tone(pitch, gate, shape="saw", voices=3, detune_cents=detune, attack_s=attack,
                          decay_s=0.5, sustain=0.8, release_s=0.25, rng=rng)
            _place(buf, note, grid.pos(st))
    buf = v.lowpass(buf, rng.uniform(1500, 3500), order=2)
    return _rms_normalise(buf, "pad")


def lead(grid: Grid, harmony: Harmony, rng: np.random.Generator) -> np.ndarray:
    buf = np.zeros(grid.n_samples)
    shape = str(rng.choice(["square", "triangle", "saw"]))
    scale = harmony.scale_pitches(67, 86)
    n_on = int(rng.integers(4, 8))
    onsets = sorted({0, *rng.choice(np.arange(1, STEPS_PER_BAR), size=n_on - 1, replace=False).tolist()})
    motif = rng.integers(0, len(scale), size=len(onsets))
    vib = rng.uniform(4, 6.5)
    for bar in range(grid.bars):
        for i, on in enumerate(onsets):
            st = bar * STEPS_PER_BAR + on
            nxt = onsets[i + 1] if i + 1 < len(onsets) else STEPS_PER_BAR
            chord = harmony.chord(harmony.degree_at(st), low=67)
            idx = motif[i] if bar == 0 or rng.random() < 0.6 else rng.integers(len(scale))
            pitch = scale[idx] if i % 2 else min(chord, key=lambda p: abs(p - scale[idx]))
            gate = (nxt - on) * grid.step_seconds * 0.8
            note = v.tone(pitch, gate, shape=shape, attack_s=0.01, decay_s=0.2, sustain=0.7,
                          release_s=0.06, vibrato_hz=vib, vibrato_cents=15, rng=rng)
            _place(buf, note, grid.pos(st))
    buf = v.highpass(v.lowpass(buf, rng.uniform(3000, 6000)), 250.0)
    return _rms_normalise(buf, "lead")


def arp(grid: Grid, harmony: Harmony, rng: np.random.Generator) -> np.ndarray:
    buf = np.zeros(grid.n_samples)
    rate = int(rng.choice([1, 2]))  # every 16th or every 8th
    ratio, index, decay = rng.choice([2.0, 3.0, 3.5]), rng.uniform(1.5, 4), rng.uniform(0.08, 0.2)
    order = str(rng.choice(["up", "down", "updown"]))
    for st in range(0, grid.bars * STEPS_PER_BAR, rate):
        tones = harmony.chord(harmony.degree_at(st), low=72, size=4)
        seq = tones if order == "up" else tones[::-1] if order == "down" else tones + tones[-2:0:-1]
        pitch = seq[(st // rate) % len(seq)]
        _place(buf, v.fm_pluck(pitch, 0.0, ratio=ratio, index=index, decay_s=decay, rng=rng), grid.pos(st))
    return _rms_normalise(v.highpass(buf, 400.0), "arp")


def render_loop(kind: str, grid: Grid, harmony: Harmony, rng: np.random.Generator, *, song_kinds: tuple[str, ...]) -> np.ndarray:
    """Render one loop of ``kind`` (see module table) as ``grid.n_samples`` float64 samples."""
    if kind == "drums":
        return drums(grid, rng, with_hats="perc" not in song_kinds)
    if kind == "perc":
        return perc(grid, rng)
    if kind == "bass":
        return bass(grid, harmony, rng)
    if kind == "pad":
        return pad(grid, harmony, rng)
    if kind == "lead":
        return lead(grid, harmony, rng)
    if kind == "arp":
        return arp(grid, harmony, rng)
    raise InputError(f"unknown loop kind {kind!r}")
