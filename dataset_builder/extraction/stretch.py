"""Step 7: time-stretch a one-bar excerpt to exactly one loop (2.0 s, 88,200 samples).

Rubber Band (through pyrubberband and the ``rubberband`` command) keeps transients and
pitch; librosa's phase vocoder is the pure-Python fallback. Either way the result is
trimmed or zero-padded to exactly ``n_samples`` so that every loop has the same length.
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
