"""Step 7: time-stretch a one-bar excerpt to exactly one loop (2.0 s, 88,200 samples).

Rubber Band keeps transients and pitch; it runs in-process through pedalboard's bundled
library (the R2 "faster" engine with its default, crisp settings: the same samples as the
``rubberband`` command line without ``-3``). In-process means no temp WAV files, no 16-bit
rounding of the input and no process start per loop. librosa's phase vocoder is the
pure-Python alternative. Either way the result is trimmed or zero-padded to exactly
``n_samples`` so that every loop has the same length.

Loops are stretched one at a time on purpose: Rubber Band stretches the channels of one
buffer with a *shared* transient detection and phase reset, so packing a song's loops into
one multichannel buffer (tried before) let one loop's drum hits reshape another loop's
sound (1-2 dB mean log-mel difference from the loop stretched alone), and saved no time
once the process start was gone (``bench/stretch_choices.py``).
"""

from __future__ import annotations

import numpy as np
from nlc.errors import InputError


STRETCHERS = ("rubberband", "librosa")
"""Accepted ``method`` names."""

FULL_SCALE = 0.999
"""Peak a Rubber Band result is scaled down to when it overshoots 1.0 (transients of a loud bar
can), so that the 16-bit loop file is not clipped."""


def _rubberband(audio: np.ndarray, *, sr: int, rate: float) -> np.ndarray:
    import pedalboard

    out = pedalboard.time_stretch(audio[None, :], float(sr), rate, high_quality=False)[0]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:  # like the command line, which redoes a clipping stretch at a lower gain
        out = out * np.float32(FULL_SCALE / peak)
    return out


def stretch_to(audio: np.ndarray, *, n_samples: int, sr: int, method: str = "rubberband") -> np.ndarray:
    """Time-stretch ``audio`` (mono) to ``n_samples`` samples without changing its pitch.

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
        Mono excerpt (any float dtype), at ``sr`` Hz.
    n_samples : int
        Length of the result in samples (88,200 = 2.0 s at 44.1 kHz for a loop).
    sr : int
        Sampling rate in Hz.
    method : {"rubberband", "librosa"}, default "rubberband"
        Rubber Band R2 (in-process) or librosa's phase vocoder.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32
    """
    import librosa

    if method not in STRETCHERS:
        raise InputError(f"unknown stretcher {method!r}")
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise InputError(f"cannot stretch an excerpt of shape {audio.shape}: need a non-empty mono signal")
    rate = audio.size / n_samples
    if abs(rate - 1.0) < 1e-6:
        out = audio
    elif method == "rubberband":
        out = _rubberband(audio, sr=sr, rate=rate)
    else:
        out = librosa.effects.time_stretch(audio, rate=rate)
    return librosa.util.fix_length(np.asarray(out, dtype=np.float32), size=n_samples)

