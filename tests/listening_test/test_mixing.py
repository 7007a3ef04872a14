"""Clip mixing: loudness matching, repetitions, fades."""

from __future__ import annotations

import numpy as np
import pytest

from nlc.errors import AudioError, InputError
from nlc.spec import LOOP_SAMPLES, SAMPLE_RATE
from nlc.listening_test.mixing import MIX_RMS_DBFS, PEAK_LIMIT, mix_pair, rms_db


def _tone(freq: float, amp: float) -> np.ndarray:
    t = np.arange(LOOP_SAMPLES) / SAMPLE_RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_length_level_and_fades():
    clip = mix_pair(_tone(220, 0.3), _tone(330, 0.05), repetitions=4)
    assert clip.shape == (4 * LOOP_SAMPLES,) and clip.dtype == np.float32
    assert rms_db(clip) == pytest.approx(MIX_RMS_DBFS, abs=0.05)  # fades change the RMS a hair
    assert clip[0] == 0.0 and abs(clip[-1]) < 1e-6
    n_fade = int(0.010 * SAMPLE_RATE)
    assert np.all(np.abs(clip[: n_fade // 4]) < np.max(np.abs(clip[n_fade:2 * n_fade])))


def test_target_level_does_not_change_the_clip():
    # a system cannot win by picking a louder or quieter target
    quiet = mix_pair(_tone(220, 0.3), _tone(330, 0.01))
    loud = mix_pair(_tone(220, 0.3), _tone(330, 0.9))
    np.testing.assert_allclose(quiet, loud, atol=1e-6)


def test_peak_is_limited_and_errors():
    spiky = np.zeros(LOOP_SAMPLES, dtype=np.float32)
    spiky[::4410] = 1.0  # clicks: high crest factor, the RMS target would clip
    clip = mix_pair(spiky, spiky.copy())
    assert np.max(np.abs(clip)) <= PEAK_LIMIT + 1e-6
    with pytest.raises(AudioError, match="silent"):
        mix_pair(_tone(220, 0.3), np.zeros(LOOP_SAMPLES, dtype=np.float32))
    with pytest.raises(AudioError, match="equally long"):
        mix_pair(_tone(220, 0.3), _tone(220, 0.3)[:-1])
    with pytest.raises(InputError, match="repetitions"):
        mix_pair(_tone(220, 0.3), _tone(330, 0.3), repetitions=3)
