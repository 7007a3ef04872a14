"""A rigid beat grid for loop music: one precise beat period and phase for the whole song.

Loop-based music is made on a fixed-tempo grid (the paper keeps Hip-Hop for its steady
tempo), so instead of a beat tracker that bends with every onset, the grid is fitted to
the onset envelope ``env`` (frames):

1. *period*: the lag ``P`` (frames) maximising the comb ``mean_k ac(k P)``, k = 1..8, of
   the onset autocorrelation ``ac``, over the allowed tempo range;
2. *metrical level*: among ``P/2, P, 2P`` the comb weighted by a log-normal tempo prior
   (100 BPM, half an octave) settles the tempo octave; the grid's phase is moved by half a beat when
   the kick band is stronger on the off-beats (the grid locked onto hi-hats or snares);
3. *precision*: the period is refined with all multiples of ``P`` over the song, and the
   phase is the offset where the grid collects the most onset strength;
4. *stability*: each stretch of 16 beats with clear onsets gets its own best offset; their
   spread, as a fraction of a beat, is the drift reported (and bounded by the caller).
"""

from __future__ import annotations

import numpy as np

SEGMENT_BEATS: int = 16
"""Beats per stretch when measuring drift."""
PEAK_RATIO: float = 1.5
"""A stretch counts for drift only if its best offset gathers 1.5 times the mean onset strength."""
PRIOR_BPM: float = 100.0
"""Centre of the tempo prior, in BPM (loop-based Hip-Hop sits around 85-100 BPM)."""
PRIOR_OCTAVES: float = 0.5
"""Width (std) of the tempo prior, in octaves."""


def autocorrelation(env: np.ndarray) -> np.ndarray:
    """Unbiased, normalised autocorrelation of the centred envelope (lag 0 = 1)."""
    e = env.astype(np.float64) - env.mean()
    n = e.size
    spec = np.fft.rfft(e, 2 * n)
    ac = np.fft.irfft(np.abs(spec) ** 2)[:n]
    ac = ac * n / np.maximum(n - np.arange(n), 1)
    return ac / ac[0] if ac[0] > 0 else np.zeros(n)


def comb(ac: np.ndarray, periods: np.ndarray, *, n_multiples: int | None = 8) -> np.ndarray:
    """Mean of ``ac`` at the multiples of each period (fractional lags, linear interpolation)."""
    n = ac.size
    out = np.empty(periods.size)
    for i, p in enumerate(periods):
        k_max = int((n - 1) // p) if n_multiples is None else min(n_multiples, int((n - 1) // p))
        lags = p * np.arange(1, max(k_max, 1) + 1)
        out[i] = np.interp(lags, np.arange(n), ac).mean()
    return out


def grid_phase(env: np.ndarray, period: float, *, resolution: float = 0.1) -> float:
    """Offset in [0, period) frames where the grid ``phase + k * period`` gathers most onset."""
    frames = np.arange(env.size)
    phases = np.arange(0.0, period, resolution)
    k = np.arange(int((env.size - 1) // period))
    scores = [np.interp(ph + k * period, frames, env).mean() for ph in phases]
    return float(phases[int(np.argmax(scores))])


def drift(env: np.ndarray, period: float, phase: float) -> float:
    """Robust spread (1.4826 x median absolute deviation, i.e. a std that ignores a few odd
    stretches) of the best local grid offsets of 16-beat stretches, in beats."""
    frames = np.arange(env.size)
    shifts = np.linspace(-0.25 * period, 0.25 * period, 41)
    n_beats = int((env.size - 1 - phase) // period) + 1
    offsets: list[float] = []
    for first in range(0, n_beats - SEGMENT_BEATS + 1, SEGMENT_BEATS):
        pos = phase + period * np.arange(first, first + SEGMENT_BEATS)
        scores = np.array([np.interp(pos + s, frames, env).sum() for s in shifts])
        if scores.max() >= PEAK_RATIO * scores.mean() > 0:  # stretches without clear onsets say nothing
            offsets.append(shifts[int(np.argmax(scores))])
    if len(offsets) < 2:
        return 0.0
    spread = np.asarray(offsets)
    return float(1.4826 * np.median(np.abs(spread - np.median(spread))) / period)


def tempo_prior(bpm: np.ndarray, *, centre_bpm: float = PRIOR_BPM, octaves: float = PRIOR_OCTAVES) -> np.ndarray:
    """Log-normal preference for tempi near ``centre_bpm`` (std ``octaves`` octaves)."""
    return np.exp(-0.5 * (np.log2(np.asarray(bpm) / centre_bpm) / octaves) ** 2)


def fit_grid(env: np.ndarray, low_env: np.ndarray, *, fps: float, min_bpm: float, max_bpm: float,
             ) -> tuple[float, float, float, float]:
    """(period in frames, phase in frames, pulse clarity, drift in beats) of the beat grid.

    ``env`` is the full-band onset envelope, ``low_env`` the kick-band one (frames).
    """
    ac = autocorrelation(env)
    lo, hi = fps * 60.0 / max_bpm, min(fps * 60.0 / min_bpm, (env.size - 1) / 2.0)
    if hi <= lo:
        return fps * 60.0 / max_bpm, 0.0, 0.0, 0.0
    periods = np.arange(lo, hi, 0.05)
    best = float(periods[int(np.argmax(comb(ac, periods)))])
    levels = np.array([p for p in (best / 2.0, best, 2.0 * best) if lo <= p <= hi])
    scores = np.maximum(comb(ac, levels), 0.0) * tempo_prior(60.0 * fps / levels)
    period = float(levels[int(np.argmax(scores))])
    fine = np.linspace(0.99 * period, 1.01 * period, 201)
    period = float(fine[int(np.argmax(comb(ac, fine, n_multiples=None)))])
    clarity = float(comb(ac, np.array([period]))[0])
    kernel = np.array([0.25, 0.5, 0.25])
    smooth = np.convolve(env, kernel, mode="same")
    phase = grid_phase(smooth, period)
    return period, phase, clarity, drift(smooth, period, phase)
