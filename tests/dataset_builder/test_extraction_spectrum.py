"""The song's one STFT: the numbers of librosa's centred STFT, in chunks, float32."""

import librosa
import numpy as np
import pytest

from nlc.dataset_builder.extraction.spectrum import istft_frames, mel_basis, mel_magnitude, stft_frames

SR, N_FFT, HOP = 44_100, 2048, 512


def _noise(n, seed=0):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, n).astype(np.float32)


@pytest.mark.parametrize("first,stop", [(0, 7), (3, 40), (80, 88)])
def test_stft_frames_are_librosa_centred_frames(first, stop):
    x = _noise(44_100)
    padded = np.pad(x, (0, 4 * N_FFT))  # frames past the end of the signal see zeros
    ref = librosa.stft(padded, n_fft=N_FFT, hop_length=HOP, center=True, pad_mode="constant")[:, first:stop]
    ours = stft_frames(x, first, stop, n_fft=N_FFT, hop_length=HOP)
    assert ours.shape == (1 + N_FFT // 2, stop - first) and ours.dtype == np.complex64
    np.testing.assert_allclose(ours, ref, atol=2e-5 * np.abs(ref).max())


def test_mel_magnitude_over_chunks_is_the_whole_song_mel():
    x = _noise(3 * 2048 * HOP + 1234, seed=1)  # more than one chunk of 2048 frames
    spec = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, center=True, pad_mode="constant"))
    ref = mel_basis(SR, N_FFT, 48) @ spec
    ours = mel_magnitude(x, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=48)
    assert ours.shape == ref.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4 * ref.max())


def test_istft_of_stft_gives_the_signal_back_away_from_the_block_edges():
    x = _noise(30_000, seed=2)
    spec = stft_frames(x, 10, 50, n_fft=N_FFT, hop_length=HOP)
    back = istft_frames(spec, n_fft=N_FFT, hop_length=HOP)
    a = N_FFT  # fully overlapped samples only
    np.testing.assert_allclose(back[a:a + 10_000], x[10 * HOP + a:10 * HOP + a + 10_000], atol=1e-4)
