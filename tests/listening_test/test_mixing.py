"""Clip mixing: BS.1770 loudness matching (measured with pyloudnorm), peaks, repetitions, fades."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from nlc.errors import AudioError, InputError
from nlc.spec import LOOP_SAMPLES, SAMPLE_RATE
from nlc.listening_test.mixing import (TARGET_LUFS, TRUE_PEAK_DBTP, level_clips, loudness_lufs, mix_pair, raw_mix,
                                       rms_db, true_peak_dbtp)
from nlc.listening_test.stimuli import loudness_note, render_clips

T = np.arange(LOOP_SAMPLES) / SAMPLE_RATE
RNG = np.random.default_rng(15)


def _lufs(audio: np.ndarray) -> float:
    """Independent measurement: pyloudnorm's meter on what a WAV stores (16-bit PCM)."""
    pcm = np.round(np.clip(audio, -1, 1) * 32767) / 32767
    return float(pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(pcm.astype(np.float64)))


def _tone(freq: float, amp: float) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * T)).astype(np.float32)


def _kick(amp: float) -> np.ndarray:
    """Four decaying 55 Hz thumps per loop: low, sparse (the gate matters)."""
    phase = T % 0.5
    return (amp * np.exp(-phase * 18) * np.sin(2 * np.pi * 55 * phase)).astype(np.float32)


def _hats(amp: float) -> np.ndarray:
    """Bright noise bursts every 1/8 s (K-weighting boosts them)."""
    noise = RNG.standard_normal(LOOP_SAMPLES)
    hp = noise - np.concatenate([[0.0], noise[:-1]])  # first difference: a crude high-pass
    return (amp * hp * np.exp(-(T % 0.125) * 60)).astype(np.float32)


def _pad(amp: float) -> np.ndarray:
    return (amp * (np.sin(2 * np.pi * 440 * T) + 0.5 * np.sin(2 * np.pi * 660 * T))).astype(np.float32)


LOOPS = {"kick": _kick(0.9), "hats": _hats(0.05), "pad": _pad(0.2), "bass": _tone(65, 0.6), "lead": _tone(1760, 0.02)}
PAIRS = [("kick", "hats"), ("kick", "pad"), ("bass", "lead"), ("pad", "lead"), ("hats", "bass"), ("kick", "bass")]


def test_stimuli_clips_are_within_one_lu_where_rms_levelling_was_not():
    pairs = [(f"clip {a}+{b}", LOOPS[a], LOOPS[b]) for a, b in PAIRS]
    levelled = render_clips(pairs, repetitions=2)
    loudness = [_lufs(c) for c in levelled.clips]
    assert max(loudness) - min(loudness) <= 1.0, loudness
    assert max(loudness) - min(loudness) < 0.05  # in fact the same loudness, but for 16-bit rounding
    assert levelled.lowered_db == 0.0 and levelled.target_lufs == TARGET_LUFS
    assert np.mean(loudness) == pytest.approx(TARGET_LUFS, abs=0.05)
    assert all(true_peak_dbtp(c) <= TRUE_PEAK_DBTP + 1e-6 for c in levelled.clips)
    # the same clips at one RMS (the old rule) differ by well over 1 LU: the test can fail
    by_rms = [c / np.sqrt(np.mean(np.square(c, dtype=np.float64))) * 0.05 for c in levelled.clips]
    rms_loudness = [_lufs(c) for c in by_rms]
    assert max(rms_loudness) - min(rms_loudness) > 3.0
    assert "-23.0 LUFS" in loudness_note(levelled) and "lowered" not in loudness_note(levelled)


def test_length_loudness_and_fades():
    clip = mix_pair(_tone(220, 0.3), _tone(330, 0.05), repetitions=4)
    assert clip.shape == (4 * LOOP_SAMPLES,) and clip.dtype == np.float32
    assert _lufs(clip) == pytest.approx(TARGET_LUFS, abs=0.05)
    assert loudness_lufs(clip) == pytest.approx(TARGET_LUFS, abs=1e-3)
    assert clip[0] == 0.0 and abs(clip[-1]) < 1e-6
    n_fade = int(0.010 * SAMPLE_RATE)
    assert np.all(np.abs(clip[: n_fade // 4]) < np.max(np.abs(clip[n_fade:2 * n_fade])))


def test_loudness_not_rms_decides_the_level():
    # a 60 Hz and a 3 kHz tone at one RMS: BS.1770 hears the 3 kHz one about 4-5 LU louder
    low, high = mix_pair(_tone(60, 0.3), _tone(60, 0.3)), mix_pair(_tone(3000, 0.3), _tone(3000, 0.3))
    assert _lufs(low) == pytest.approx(_lufs(high), abs=0.05)
    assert rms_db(low) - rms_db(high) > 3.0


def test_target_level_does_not_change_the_clip():
    # a system cannot win by picking a louder or quieter target
    quiet = mix_pair(_tone(220, 0.3), _tone(330, 0.01))
    loud = mix_pair(_tone(220, 0.3), _tone(330, 0.9))
    np.testing.assert_allclose(quiet, loud, atol=1e-6)


def test_a_peak_lowers_every_clip_alike():
    spiky = np.zeros(LOOP_SAMPLES, dtype=np.float32)
    spiky[::4410] = 1.0  # clicks: high crest factor, -23 LUFS would put the peaks far above full scale
    names = ["clip g01_c1", "clip g01_c2", "clip g01_c3"]
    raw = [raw_mix(_tone(220, 0.3), _tone(330, 0.1), name=names[0]), raw_mix(spiky, spiky.copy(), name=names[1]),
           raw_mix(_pad(0.2), _hats(0.05), name=names[2])]
    levelled = level_clips(raw, names=names)
    peaks = [true_peak_dbtp(c) for c in levelled.clips]
    assert max(peaks) == pytest.approx(TRUE_PEAK_DBTP, abs=1e-3) and max(peaks) <= TRUE_PEAK_DBTP + 1e-5
    assert levelled.culprit == "clip g01_c2" and levelled.lowered_db > 5
    assert levelled.target_lufs == pytest.approx(TARGET_LUFS - levelled.lowered_db)
    loudness = [_lufs(c) for c in levelled.clips]
    assert max(loudness) - min(loudness) < 0.05  # still one level
    assert loudness[0] == pytest.approx(levelled.target_lufs, abs=0.05)
    note = loudness_note(levelled)
    assert "lowered by" in note and "clip g01_c2" in note
    # alone, the single clip is lowered as much as it needs
    alone = mix_pair(spiky, spiky.copy())
    assert true_peak_dbtp(alone) <= TRUE_PEAK_DBTP + 1e-5


def test_errors_are_one_line_naming_the_clip():
    silent = np.zeros(LOOP_SAMPLES, dtype=np.float32)
    with pytest.raises(AudioError, match=r"^clip g01_c2, target loop is silent") as err:
        mix_pair(_tone(220, 0.3), silent, name="clip g01_c2")
    assert "\n" not in str(err.value)
    with pytest.raises(AudioError, match=r"^clip g03_c1 is silent"):  # each loop fine, the sum cancels
        mix_pair(_tone(220, 0.3), -_tone(220, 0.3), name="clip g03_c1")
    with pytest.raises(AudioError, match=r"^clip g02_c1 is silent"):
        level_clips([np.tile(_tone(220, 0.3), 2), np.zeros(2 * LOOP_SAMPLES)], names=["clip g01_c1", "clip g02_c1"])
    with pytest.raises(AudioError, match=r"clip g01_c4, source loop: 0\.100 s is shorter than the 400 ms"):
        mix_pair(_tone(220, 0.3)[:4410], _tone(330, 0.3)[:4410], name="clip g01_c4")
    with pytest.raises(AudioError, match="equally long"):
        mix_pair(_tone(220, 0.3), _tone(220, 0.3)[:-1])
    with pytest.raises(InputError, match="repetitions"):
        mix_pair(_tone(220, 0.3), _tone(330, 0.3), repetitions=3)
    with pytest.raises(InputError, match="no clip"):
        level_clips([])
