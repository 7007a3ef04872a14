"""Step 4: each loop's best bar and its audio, separated with a soft mask.

In bar ``b`` the model says loop ``k`` contributes ``layout[b, k] * loops[k]`` (a mel
spectrogram over the bar's time cells). Loop ``k`` is excerpted from the bar where that
contribution is the largest share of the bar's modelled sound (among bars where it plays at
least at half its peak activation), so that the other loops leak least into it. Its audio
is that bar's STFT times a Wiener-like mask ``est_k^p / sum_j est_j^p``, the mask being
interpolated from mel bands to STFT bins and from bar cells to STFT frames, then inverted.
"""

from __future__ import annotations

import numpy as np

from nlc.dataset_builder.extraction.spectrum import istft_frames, stft_frames
from nlc.dataset_builder.extraction.tensor import bar_positions

_EPS = 1e-12


def best_bars(layout: np.ndarray, *, min_relative: float = 0.5) -> np.ndarray:
    """Bar index per loop (column of ``layout``, shape (bars, loops)) where it dominates most."""
    share = layout / np.maximum(layout.sum(axis=1, keepdims=True), _EPS)
    strong = layout >= min_relative * layout.max(axis=0, keepdims=True)
    return np.argmax(np.where(strong, share, -1.0), axis=0)


def soft_masks(estimates: np.ndarray, *, power: float = 2.0) -> np.ndarray:
    """Wiener-like masks from per-loop estimates (loops, bins, cells); they sum to 1 per cell."""
    p = np.power(np.maximum(estimates, 0.0), power)
    return p / np.maximum(p.sum(axis=0, keepdims=True), _EPS)


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-distortion ratio in dB of ``estimate`` against ``reference`` (same length)."""
    num = float(np.sum(reference.astype(np.float64) ** 2))
    den = float(np.sum((reference.astype(np.float64) - estimate) ** 2))
    return 10.0 * np.log10(max(num, _EPS) / max(den, _EPS))


def interp_matrix(x_new: np.ndarray, x_old: np.ndarray) -> np.ndarray:
    """Matrix ``W`` (len(x_new), len(x_old)) with ``W @ y == np.interp(x_new, x_old, y)`` for every ``y``.

    Interpolating a whole (mel bands x bar cells) mask row by row costs thousands of
    ``np.interp`` calls per loop; two small matrix products do the same. ``x_old`` must be
    increasing (at least two points); values outside it take the end values, as np.interp.
    """
    x_new = np.asarray(x_new, dtype=np.float64)
    x_old = np.asarray(x_old, dtype=np.float64)
    j = np.clip(np.searchsorted(x_old, x_new, side="right") - 1, 0, x_old.size - 2)
    t = np.clip((x_new - x_old[j]) / (x_old[j + 1] - x_old[j]), 0.0, 1.0)
    w = np.zeros((x_new.size, x_old.size))
    rows = np.arange(x_new.size)
    w[rows, j] = 1.0 - t
    w[rows, j + 1] += t
    return w


def separate_bar(
    audio: np.ndarray,
    start: int,
    stop: int,
    mask: np.ndarray,
    *,
    mel_freqs: np.ndarray,
    sr: int,
    n_fft: int,
    hop_length: int,
) -> np.ndarray:
    """Apply a (mel bands, bar cells) ``mask`` to ``audio[start:stop]``; returns ``stop - start`` samples.

    STFT frames cover the bar plus a margin of ``n_fft`` samples on both sides, so the
    overlap-add is complete over the whole bar.
    """
    margin = -(-n_fft // hop_length)
    first = max(0, start // hop_length - margin)
    last = -(-stop // hop_length) + margin + 1
    spec = stft_frames(audio, first, last, n_fft=n_fft, hop_length=hop_length)
    cells = bar_positions(start / hop_length, stop / hop_length, mask.shape[1])
    frames = np.arange(first, last, dtype=np.float64)
    bins = np.linspace(0.0, sr / 2.0, spec.shape[0])
    # mel bands -> STFT bins and bar cells -> frames: two linear interpolations, as matrices
    full = interp_matrix(bins, mel_freqs) @ np.asarray(mask, dtype=np.float64) @ interp_matrix(frames, cells).T
    out = istft_frames(spec * full.astype(np.float32), n_fft=n_fft, hop_length=hop_length)
    offset = start - first * hop_length
    seg = out[offset:offset + (stop - start)]
    if seg.size < stop - start:
        seg = np.pad(seg, (0, stop - start - seg.size))
    return seg.astype(np.float32)
