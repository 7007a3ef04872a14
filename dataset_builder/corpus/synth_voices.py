"""Sound sources of the synthetic corpus: drum one-shots and pitched voices.

Each function renders one sound as a float64 numpy array at 44,100 Hz, vectorised over
samples, so that a whole loop costs a few dozen array operations. Timbre parameters come
in explicitly (the loop designer draws them from the song's seeded generator), which keeps
every song reproducible and lets loops of one song sound distinct: kicks and bass live
below ~200 Hz, pads in the low mids, leads and arpeggios in the upper mids, hats and
shakers above ~5 kHz.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from nlc.errors import InputError
from nlc.spec import SAMPLE_RATE

SR: int = SAMPLE_RATE


def midi_to_hz(pitch: float) -> float:
    """Frequency in Hz of a MIDI pitch (69 = A4 = 440 Hz)."""
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(round(seconds * SR))) / SR


def _filter(x: np.ndarray, kind: str, freq: float | tuple[float, float], order: int = 2) -> np.ndarray:
    nyq = SR / 2.0
    wn = np.clip(np.asarray(freq, dtype=float) / nyq, 1e-4, 0.999)
    sos = signal.butter(order, wn, btype=kind, output="sos")
    return signal.sosfilt(sos, x)


def kick(*, start_hz: float = 150.0, end_hz: float = 48.0, sweep_s: float = 0.04,
         decay_s: float = 0.25, click: float = 0.3, rng: np.random.Generator) -> np.ndarray:
    """Bass drum: a sine swept down from ``start_hz`` to ``end_hz`` (Hz) with a short click."""
    t = _t(decay_s * 4)
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / sweep_s)
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / decay_s)
    n_click = int(0.004 * SR)
    body[:n_click] += click * rng.standard_normal(n_click) * np.linspace(1, 0, n_click)
    return body


def snare(*, tone_hz: float = 190.0, band: tuple[float, float] = (1200.0, 7000.0),
          decay_s: float = 0.12, tone_mix: float = 0.4, rng: np.random.Generator) -> np.ndarray:
    """Snare (or clap when ``tone_mix`` is 0): band-passed noise plus a decaying tone (Hz, s)."""
    t = _t(decay_s * 4)
    noise = _filter(rng.standard_normal(t.size), "bandpass", band) * np.exp(-t / decay_s)
    noise /= np.max(np.abs(noise)) + 1e-12
    tone = np.sin(2 * np.pi * tone_hz * t) * np.exp(-t / (decay_s * 0.5))
    return (1 - tone_mix) * noise + tone_mix * tone


def clap(*, band: tuple[float, float] = (900.0, 2800.0), decay_s: float = 0.15,
         rng: np.random.Generator) -> np.ndarray:
    """Hand clap: three quick noise bursts then a band-passed tail."""
    t = _t(decay_s * 4)
    env = np.exp(-t / decay_s)
    for offset in (0.0, 0.011, 0.022):
        env = np.maximum(env, (t >= offset) * np.exp(-np.maximum(t - offset, 0) / 0.004))
    out = _filter(rng.standard_normal(t.size), "bandpass", band) * env
    return out / (np.max(np.abs(out)) + 1e-12)


def hat(*, cutoff_hz: float = 7000.0, decay_s: float = 0.04, rng: np.random.Generator) -> np.ndarray:
    """Hi-hat or shaker: high-passed noise with exponential decay (``decay_s`` long = open hat)."""
    t = _t(max(decay_s * 5, 0.02))
    out = _filter(rng.standard_normal(t.size), "highpass", cutoff_hz, order=4) * np.exp(-t / decay_s)
    return out / (np.max(np.abs(out)) + 1e-12)


def _oscillator(shape: str, phase: np.ndarray) -> np.ndarray:
    frac = phase % 1.0
    if shape == "sine":
        return np.sin(2 * np.pi * phase)
    if shape == "saw":
        return 2.0 * frac - 1.0
    if shape == "square":
        return np.where(frac < 0.5, 1.0, -1.0)
    if shape == "triangle":
        return 4.0 * np.abs(frac - 0.5) - 1.0
    raise InputError(f"unknown oscillator shape {shape!r}")


def tone(pitch: float, seconds: float, *, shape: str = "saw", detune_cents: float = 0.0,
         voices: int = 1, attack_s: float = 0.005, decay_s: float = 0.3, sustain: float = 0.7,
         release_s: float = 0.05, vibrato_hz: float = 0.0, vibrato_cents: float = 0.0,
         rng: np.random.Generator) -> np.ndarray:
    """A subtractive-synth note: ``voices`` detuned oscillators under an ADSR envelope.

    ``seconds`` is the gate length; the release tail (``release_s``) follows it.
    Detune and vibrato are in cents; times in seconds; ``sustain`` is a level in [0, 1].
    """
    total = seconds + release_s
    t = _t(total)
    base = midi_to_hz(pitch)
    out = np.zeros(t.size)
    for v in range(voices):
        cents = 0.0 if voices == 1 else detune_cents * (2 * v / (voices - 1) - 1)
        freq = base * 2 ** (cents / 1200)
        phase = freq * t + rng.random()
        if vibrato_hz > 0:
            depth = freq * (2 ** (vibrato_cents / 1200) - 1)
            phase = phase + depth / vibrato_hz * np.sin(2 * np.pi * vibrato_hz * t) / (2 * np.pi)
        out += _oscillator(shape, phase)
    out /= voices
    env = np.full(t.size, sustain)
    env += (1 - sustain) * np.exp(-np.maximum(t - attack_s, 0) / max(decay_s, 1e-3))
    env *= np.clip(t / max(attack_s, 1e-4), 0, 1)
    gate = int(round(seconds * SR))
    if gate < t.size:
        rel = np.exp(-(t[gate:] - t[gate]) / max(release_s / 4, 1e-4))
        env[gate:] = env[gate - 1 if gate else 0] * rel
    return out * env


def fm_pluck(pitch: float, seconds: float, *, ratio: float = 2.0, index: float = 3.0,
             decay_s: float = 0.25, rng: np.random.Generator) -> np.ndarray:
    """Bell-like FM pluck: a sine modulated at ``ratio`` x the pitch, index decaying with the note."""
    t = _t(seconds + decay_s * 2)
    freq = midi_to_hz(pitch)
    env = np.exp(-t / decay_s)
    phase0 = rng.random() * 2 * np.pi
    return np.sin(2 * np.pi * freq * t + phase0 + index * env * np.sin(2 * np.pi * ratio * freq * t)) * env


def lowpass(x: np.ndarray, cutoff_hz: float, *, order: int = 2) -> np.ndarray:
    """Butterworth low-pass (cutoff in Hz) applied to a whole loop at once."""
    return _filter(x, "lowpass", cutoff_hz, order)


def highpass(x: np.ndarray, cutoff_hz: float, *, order: int = 2) -> np.ndarray:
    """Butterworth high-pass (cutoff in Hz) applied to a whole loop at once."""
    return _filter(x, "highpass", cutoff_hz, order)
