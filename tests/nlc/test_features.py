"""The one feature spec: shape and values pinned against librosa (paper section 4.2.1)."""

import librosa
import numpy as np
import pytest

from nlc.errors import InputError
from nlc import features


def _reference(audio: np.ndarray) -> np.ndarray:
    mel = librosa.feature.melspectrogram(
        y=audio, sr=44100, n_fft=2048, hop_length=512, window="hamming", n_mels=128, center=True, pad_mode="constant"
    )
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T


def test_constants_match_the_paper():
    assert features.SAMPLE_RATE == 44100
    assert features.LOOP_SAMPLES == 88200
    assert features.BEAT_SAMPLES * features.BEATS_PER_LOOP == features.LOOP_SAMPLES
    assert features.FEATURE_SHAPE == (173, 128)


@pytest.mark.parametrize("kind", ["noise", "tone", "clicks"])
def test_log_mel_matches_librosa(kind):
    rng = np.random.default_rng(0)
    t = np.arange(features.LOOP_SAMPLES) / features.SAMPLE_RATE
    if kind == "noise":
        audio = 0.2 * rng.standard_normal(features.LOOP_SAMPLES)
    elif kind == "tone":
        audio = 0.5 * np.sin(2 * np.pi * 220.0 * t)
    else:
        audio = np.zeros(features.LOOP_SAMPLES)
        audio[:: features.BEAT_SAMPLES] = 1.0
    audio = audio.astype(np.float32)
    ours = features.log_mel(audio)
    assert ours.shape == (173, 128) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, _reference(audio), rtol=1e-4, atol=1e-2)


def test_batch_equals_single():
    rng = np.random.default_rng(1)
    batch = (0.1 * rng.standard_normal((3, features.LOOP_SAMPLES))).astype(np.float32)
    stacked = np.stack([features.log_mel(x) for x in batch])
    np.testing.assert_allclose(features.log_mel_batch(batch), stacked, atol=1e-4)


def test_silence_floors_at_amin():
    out = features.log_mel(np.zeros(features.LOOP_SAMPLES, dtype=np.float32))
    assert np.all(out == pytest.approx(-100.0))


def test_wrong_length_is_rejected():
    with pytest.raises(InputError, match="88200"):
        features.log_mel(np.zeros(1000, dtype=np.float32))
