"""Step 2: the bar-synchronous spectrogram tensor (frequency x time-in-bar x bar).

Every bar, from one downbeat to the next, is resampled to the same number of frames by
linear interpolation along time, so that a loop repeated in several bars gives the same
slice whatever small tempo drift the song has. This is the tensor Smith & Goto factorise.
"""

from __future__ import annotations

import numpy as np
from nlc.errors import InputError



def bar_positions(start_frame: float, stop_frame: float, frames_per_bar: int) -> np.ndarray:
    """Fractional STFT-frame positions sampled in one bar (centres of ``frames_per_bar`` cells)."""
    return start_frame + (stop_frame - start_frame) * (np.arange(frames_per_bar) + 0.5) / frames_per_bar


def resample_frames(spec: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``spec`` (bins, frames) read at fractional frame ``positions`` by linear interpolation."""
    pos = np.clip(positions, 0.0, spec.shape[1] - 1.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, spec.shape[1] - 1)
    w = (pos - lo).astype(spec.dtype)
    return spec[:, lo] * (1.0 - w) + spec[:, hi] * w


def bar_tensor(spec: np.ndarray, downbeat_frames: np.ndarray, *, frames_per_bar: int = 32) -> np.ndarray:
    """Bar-synchronous tensor of a (bins, frames) magnitude spectrogram.

    Parameters
    ----------
    spec : np.ndarray, shape (n_bins, n_frames)
        Non-negative spectrogram (e.g. mel magnitudes).
    downbeat_frames : np.ndarray, shape (n_bars + 1,)
        Bar boundaries in (fractional) STFT frames.
    frames_per_bar : int, default 32
        Time resolution within a bar (8 per beat in 4/4).

    Returns
    -------
    np.ndarray, shape (n_bins, frames_per_bar, n_bars), same dtype as ``spec``
    """
    bounds = np.asarray(downbeat_frames, dtype=np.float64)
    if bounds.ndim != 1 or bounds.size < 2 or np.any(np.diff(bounds) <= 0):
        raise InputError("downbeat_frames must be at least two increasing frame positions")
    pos = np.concatenate([bar_positions(a, b, frames_per_bar) for a, b in zip(bounds[:-1], bounds[1:])])
    out = resample_frames(spec, pos)
    return np.ascontiguousarray(out.reshape(spec.shape[0], bounds.size - 1, frames_per_bar).transpose(0, 2, 1))
