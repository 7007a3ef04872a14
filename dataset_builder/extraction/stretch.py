"""Step 7: time-stretch a one-bar excerpt to exactly one loop (2.0 s, 88,200 samples).

Rubber Band (through pyrubberband and the ``rubberband`` command) keeps transients and
pitch; librosa's phase vocoder is the pure-Python fallback. Either way the result is
trimmed or zero-padded to exactly ``n_samples`` so that every loop has the same length.
All bars of a song have the same length (one rigid beat grid), so :func:`stretch_many`
stretches all of a song's loops in *one* Rubber Band call, one loop per channel (channels
are stretched with the same time map), instead of paying the process start per loop.
"""

from __future__ import annotations

import numpy as np


def stretch_to(audio: np.ndarray, *, n_samples: int, sr: int, method: str = "rubberband") -> np.ndarray:
    """Time-stretch ``audio`` (mono) to ``n_samples`` samples without changing its pitch."""
    import librosa

    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        raise ValueError("cannot stretch an empty excerpt")
    rate = audio.size / n_samples
    if abs(rate - 1.0) < 1e-6:
        out = audio
    elif method == "rubberband":
        import pyrubberband

        out = pyrubberband.time_stretch(audio, sr, rate)
    elif method == "librosa":
        out = librosa.effects.time_stretch(audio, rate=rate)
    else:
        raise ValueError(f"unknown stretcher {method!r}")
    return librosa.util.fix_length(np.asarray(out, dtype=np.float32), size=n_samples)


def stretch_many(excerpts: list[np.ndarray], *, n_samples: int, sr: int, method: str = "rubberband") -> list[np.ndarray]:
    """:func:`stretch_to` for several excerpts of (nearly) equal length, in one call.

    Excerpts are zero-padded to the longest one; the rate is the longest length over
    ``n_samples`` (bars differ by at most a sample or two).
    """
    import librosa

    if not excerpts:
        return []
    if method != "rubberband" or len(excerpts) == 1:
        return [stretch_to(x, n_samples=n_samples, sr=sr, method=method) for x in excerpts]
    import pyrubberband

    length = max(x.size for x in excerpts)
    block = np.zeros((length, len(excerpts)), dtype=np.float32)
    for k, x in enumerate(excerpts):
        block[: x.size, k] = x
    rate = length / n_samples
    out = block if abs(rate - 1.0) < 1e-6 else np.asarray(pyrubberband.time_stretch(block, sr, rate), dtype=np.float32)
    out = out.reshape(out.shape[0], -1)
    return [librosa.util.fix_length(np.ascontiguousarray(out[:, k]), size=n_samples) for k in range(len(excerpts))]
