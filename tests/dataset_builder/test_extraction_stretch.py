import numpy as np
import pytest

from nlc.dataset_builder.extraction.stretch import stretch_to

SR = 44_100


def _peak_hz(x):
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.argmax(spec) * SR / x.size


@pytest.mark.parametrize("method", ["rubberband", "librosa"])
@pytest.mark.parametrize("seconds", [1.6, 2.4])
def test_exact_length_and_pitch_kept(method, seconds):
    t = np.arange(int(SR * seconds)) / SR
    tone = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    out = stretch_to(tone, n_samples=88_200, sr=SR, method=method)
    assert out.shape == (88_200,) and out.dtype == np.float32
    assert _peak_hz(out[4000:-4000]) == pytest.approx(440.0, abs=3.0)


def test_rubberband_keeps_onset_times_proportional():
    x = np.zeros(int(SR * 2.4), np.float32)
    for k in range(4):
        s = int(k * 0.6 * SR)
        x[s:s + 300] = np.hanning(600)[300:]
    out = stretch_to(x, n_samples=88_200, sr=SR)
    env = np.abs(out)
    for k in range(1, 4):
        expected = int(k * 0.5 * SR)
        window = env[expected - 2000:expected + 2000]
        assert window.max() > 0.3 * env.max()


def test_stretch_many_matches_one_by_one():
    from nlc.dataset_builder.extraction.stretch import stretch_many

    t = np.arange(int(SR * 2.3)) / SR
    a = (0.4 * np.sin(2 * np.pi * 330.0 * t)).astype(np.float32)
    b = (0.4 * np.sin(2 * np.pi * 880.0 * t[:-1])).astype(np.float32)
    many = stretch_many([a, b], n_samples=88_200, sr=SR)
    assert [x.shape for x in many] == [(88_200,), (88_200,)]
    assert _peak_hz(many[0][4000:-4000]) == pytest.approx(330.0, abs=3.0)
    assert _peak_hz(many[1][4000:-4000]) == pytest.approx(880.0, abs=3.0)
    one = stretch_to(a, n_samples=88_200, sr=SR)
    assert np.corrcoef(one[5000:-5000], many[0][5000:-5000])[0, 1] > 0.9
