"""The one time-frequency analysis of a song, shared by beat tracking and the tensor.

The STFT is computed in chunks of frames so that a 15-minute song never holds its whole
complex STFT in memory (only the float32 mel magnitudes, ``n_mels x frames``). Frames are
centred (frame ``j`` is centred on sample ``j * hop_length``), as in librosa.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_CHUNK_FRAMES = 2048


@lru_cache(maxsize=8)
def mel_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney mel filter bank, shape (n_mels, 1 + n_fft // 2), float32."""
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).astype(np.float32)


@lru_cache(maxsize=8)
def hann_window(n_fft: int) -> np.ndarray:
    """Periodic Hann window of ``n_fft`` samples, float32 (librosa's ``window="hann"``)."""
    import scipy.signal

    return scipy.signal.get_window("hann", n_fft, fftbins=True).astype(np.float32)


def stft_frames(audio: np.ndarray, first: int, stop: int, *, n_fft: int, hop_length: int) -> np.ndarray:
    """Complex STFT frames ``first .. stop-1`` of ``audio`` (centred frames, Hann window).

    Frames outside the signal see zeros. The same numbers as ``librosa.stft(center=True,
    pad_mode="constant")`` (to float32 rounding), computed as one float32 real FFT over a
    strided view of the frames, which skips librosa's per-call checks and copies (about a
    third of the time of a song's spectrogram).

    Returns
    -------
    np.ndarray, shape (1 + n_fft // 2, stop - first), complex64 (a transposed view)
    """
    import scipy.fft

    half = n_fft // 2
    lo = first * hop_length - half
    hi = (stop - 1) * hop_length + half
    seg = np.zeros(hi - lo, dtype=np.float32)
    a, b = max(lo, 0), min(hi, audio.size)
    if b > a:
        seg[a - lo:b - lo] = audio[a:b]
    frames = np.lib.stride_tricks.sliding_window_view(seg, n_fft)[::hop_length]
    spec = scipy.fft.rfft(frames * hann_window(n_fft), axis=1, overwrite_x=True)
    return spec.T.astype(np.complex64, copy=False)


def n_frames(n_samples: int, hop_length: int) -> int:
    """Number of centred frames of a signal of ``n_samples`` samples."""
    return 1 + n_samples // hop_length


@lru_cache(maxsize=8)
def chroma_basis(sr: int, n_fft: int) -> np.ndarray:
    """librosa's chroma filter bank, shape (12, 1 + n_fft // 2), float32."""
    import librosa

    return librosa.filters.chroma(sr=sr, n_fft=n_fft).astype(np.float32)


def _filtered_magnitude(audio: np.ndarray, bases: list[np.ndarray], *, n_fft: int, hop_length: int) -> list[np.ndarray]:
    """Each filter bank applied to the STFT magnitude, computed in one chunked pass."""
    total = n_frames(audio.size, hop_length)
    outs = [np.empty((basis.shape[0], total), dtype=np.float32) for basis in bases]
    for first in range(0, total, _CHUNK_FRAMES):
        stop = min(first + _CHUNK_FRAMES, total)
        magnitude = np.abs(stft_frames(audio, first, stop, n_fft=n_fft, hop_length=hop_length))
        for out, basis in zip(outs, bases):
            out[:, first:stop] = basis @ magnitude
    return outs


def mel_magnitude(audio: np.ndarray, *, sr: int, n_fft: int, hop_length: int, n_mels: int) -> np.ndarray:
    """Mel-filtered STFT magnitude, shape (n_mels, n_frames), float32 (linear amplitude)."""
    return _filtered_magnitude(audio, [mel_basis(sr, n_fft, n_mels)], n_fft=n_fft, hop_length=hop_length)[0]


def mel_and_chroma(audio: np.ndarray, *, sr: int, n_fft: int, hop_length: int, n_mels: int,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mel_magnitude` and the chroma of the same STFT magnitude, shape (12, n_frames).

    The chroma feeds the downbeat cue "harmony changes on bar lines"; sharing the STFT
    makes it cost one 12-row product per frame instead of a second transform.
    """
    mel, chroma = _filtered_magnitude(audio, [mel_basis(sr, n_fft, n_mels), chroma_basis(sr, n_fft)],
                                      n_fft=n_fft, hop_length=hop_length)
    return mel, chroma


def istft_frames(spec: np.ndarray, *, n_fft: int, hop_length: int) -> np.ndarray:
    """Inverse of :func:`stft_frames` for a block of frames (librosa's overlap-add).

    Sample 0 of the result is the centre of the block's first frame. Only samples at least
    ``n_fft / 2`` from both ends of the block are fully reconstructed; callers add a margin.
    The numbers of ``librosa.istft(center=False)`` (windowed inverse real FFTs, overlap-added
    and divided by the summed squared window where it is not tiny), without its per-call
    overhead, which was half of the separation step.
    """
    import scipy.fft

    n = spec.shape[1]
    win = hann_window(n_fft)
    frames = scipy.fft.irfft(spec, n=n_fft, axis=0).astype(np.float32, copy=False) * win[:, None]
    out = np.zeros(n_fft + hop_length * (n - 1), dtype=np.float32)
    for j in range(n):
        out[j * hop_length:j * hop_length + n_fft] += frames[:, j]
    out /= _window_sumsquare(n, n_fft, hop_length)
    return out[n_fft // 2:]


@lru_cache(maxsize=64)
def _window_sumsquare(n: int, n_fft: int, hop_length: int) -> np.ndarray:
    """Overlap-added squared window of ``n`` frames; 1 where that sum is tiny (as librosa)."""
    sq = hann_window(n_fft) ** 2
    total = np.zeros(n_fft + hop_length * (n - 1), dtype=np.float32)
    for j in range(n):
        total[j * hop_length:j * hop_length + n_fft] += sq
    total[total <= np.finfo(np.float32).tiny] = 1.0
    return total
