"""Turn a (source, target) loop pair into a test clip, the same way for every system.

Loudness matching is by RMS: each loop is scaled to :data:`LOOP_RMS_DBFS` before the sum,
so a system cannot win by picking a louder or quieter target, and the mix is scaled to
:data:`MIX_RMS_DBFS` (then down, if its peak would clip) so that all clips of a test play
at the same level. The loop pair is repeated 2 or 4 times (4 s or 8 s) and gets short
raised-cosine fades at both ends, so a clip never starts or stops with a click.
"""

from __future__ import annotations

import numpy as np

from nlc.errors import AudioError, InputError
from nlc.spec import SAMPLE_RATE

LOOP_RMS_DBFS: float = -23.0
"""RMS level (dB re full scale) each loop is brought to before mixing."""
MIX_RMS_DBFS: float = -20.0
"""RMS level of every finished clip, unless lowered to keep its peak below :data:`PEAK_LIMIT`."""
PEAK_LIMIT: float = 0.99
"""Largest absolute sample value of a clip (full scale = 1)."""
FADE_MS: float = 10.0
"""Length of the fade-in and fade-out, in milliseconds."""
REPETITIONS: tuple[int, ...] = (2, 4)
"""Allowed numbers of loop repetitions per clip."""
_SILENT_RMS: float = 1e-6


def rms_db(audio: np.ndarray) -> float:
    """RMS level of ``audio`` in dB re full scale (-inf for digital silence)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def _to_rms(audio: np.ndarray, level_db: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if rms < _SILENT_RMS:
        raise AudioError(f"loop is silent (RMS {rms:.1e}), cannot loudness-match it")
    return audio * (10.0 ** (level_db / 20.0) / rms)


def mix_pair(
    source: np.ndarray,
    target: np.ndarray,
    *,
    repetitions: int = 2,
    fade_ms: float = FADE_MS,
    sr: int = SAMPLE_RATE,
) -> np.ndarray:
    """Loudness-matched mix of two equal-length loops, repeated and faded.

    Parameters
    ----------
    source, target : np.ndarray, shape (n,)
        Mono loops of the same length (88,200 samples for nlc-loops).
    repetitions : {2, 4}, default 2
        How many times the loop pair plays (2 s each for nlc-loops).
    fade_ms : float, default 10.0
        Raised-cosine fade-in and fade-out, in milliseconds.
    sr : int, default 44100
        Sampling rate in Hz (only used for the fade length).

    Returns
    -------
    np.ndarray, shape (repetitions * n,), float32
        RMS at :data:`MIX_RMS_DBFS` dBFS, or lower if needed to keep the peak at
        :data:`PEAK_LIMIT`.

    Raises
    ------
    AudioError
        A silent loop, or loops of different lengths.
    """
    if repetitions not in REPETITIONS:
        raise InputError(f"repetitions must be one of {REPETITIONS}, not {repetitions}")
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 1:
        raise AudioError(f"loops must be mono and equally long, got shapes {source.shape} and {target.shape}")
    mix = _to_rms(source, LOOP_RMS_DBFS) + _to_rms(target, LOOP_RMS_DBFS)
    clip = _to_rms(np.tile(mix, repetitions), MIX_RMS_DBFS)
    peak = float(np.max(np.abs(clip)))
    if peak > PEAK_LIMIT:
        clip *= PEAK_LIMIT / peak
    n_fade = min(int(round(fade_ms * sr / 1000.0)), clip.size // 2)
    if n_fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_fade) / n_fade)
        clip[:n_fade] *= ramp
        clip[-n_fade:] *= ramp[::-1]
    return clip.astype(np.float32)
