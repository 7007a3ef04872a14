import numpy as np

from nlc.dataset_builder.extraction.separate import best_bars, sdr, separate_bar, soft_masks

SR = 44_100


def _mel_freqs(n=16):
    import librosa

    return librosa.mel_frequencies(n_mels=n + 2, fmax=SR / 2)[1:-1]


def test_best_bar_is_where_the_loop_dominates():
    layout = np.array([[1.0, 1.0], [0.9, 0.05], [0.2, 0.0], [0.0, 1.0]])
    # loop 0 dominates bar 1 (bar 2 is alone too but below half its peak); loop 1 bar 3
    np.testing.assert_array_equal(best_bars(layout), [1, 3])


def test_soft_masks_partition_unity():
    est = np.random.default_rng(0).random((3, 8, 4))
    m = soft_masks(est, power=2.0)
    np.testing.assert_allclose(m.sum(axis=0), 1.0, rtol=1e-6)
    assert np.all((m >= 0) & (m <= 1))


def test_unit_mask_returns_the_bar_and_zero_mask_silence():
    audio = np.random.default_rng(1).standard_normal(SR * 3).astype(np.float32) * 0.1
    a, z = 20_000, 20_000 + 88_000
    ones = np.ones((16, 32), np.float32)
    out = separate_bar(audio, a, z, ones, mel_freqs=_mel_freqs(), sr=SR, n_fft=2048, hop_length=512)
    assert out.shape == (z - a,)
    assert sdr(audio[a:z], out) > 60.0
    zero = separate_bar(audio, a, z, 0 * ones, mel_freqs=_mel_freqs(), sr=SR, n_fft=2048, hop_length=512)
    assert np.max(np.abs(zero)) < 1e-6


def test_low_band_mask_keeps_the_bass_and_drops_the_treble():
    t = np.arange(SR * 2) / SR
    bass, treble = np.sin(2 * np.pi * 80 * t), np.sin(2 * np.pi * 6000 * t)
    audio = (0.3 * bass + 0.3 * treble).astype(np.float32)
    freqs = _mel_freqs()
    mask = np.repeat((freqs < 1000).astype(np.float32)[:, None], 32, axis=1)
    out = separate_bar(audio, 10_000, 60_000, mask, mel_freqs=freqs, sr=SR, n_fft=2048, hop_length=512)
    assert sdr(0.3 * bass[10_000:60_000], out) > 20.0


def test_sdr_of_identical_signals_is_large():
    x = np.random.default_rng(2).standard_normal(1000)
    assert sdr(x, x) > 100
    assert abs(sdr(x, np.zeros_like(x))) < 1e-9


def test_interp_matrix_is_np_interp_including_outside_the_range():
    from nlc.dataset_builder.extraction.separate import interp_matrix

    rng = np.random.default_rng(3)
    x_old = np.sort(rng.uniform(0, 10, 17))
    x_new = np.linspace(-3, 13, 200)  # both ends outside x_old: end values, as np.interp
    w = interp_matrix(x_new, x_old)
    for y in rng.random((4, 17)):
        np.testing.assert_allclose(w @ y, np.interp(x_new, x_old, y), atol=1e-12)
