"""The drum/bass detector: synthetic loops, a few real lmms samples, the spleeter error path."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from nlc.dataset_builder.roles.detector import FEATURES, ROLES, classify_roles, role_features
from nlc.dataset_builder.roles.model import fit_role_model, load_default_model
from nlc.dataset_builder.roles.spleeter import PYTHON_ENV, roles_from_energies
from nlc.errors import InputError, NLCError
from nlc.spec import BEAT_SAMPLES, LOOP_SAMPLES, SAMPLE_RATE

T = np.arange(LOOP_SAMPLES) / SAMPLE_RATE
LMMS = Path("/usr/share/lmms/samples")


def _drum_loop(seed: int = 0) -> np.ndarray:
    """Kick (falling sine sweep) on beats 1 and 3, noise snare on 2 and 4, hats on eighths."""
    rng = np.random.default_rng(seed)
    y = np.zeros(LOOP_SAMPLES)
    t = np.arange(BEAT_SAMPLES // 2) / SAMPLE_RATE
    kick = np.sin(2 * np.pi * (150 * t - 50 * (1 - np.exp(-t * 30)) * 3)) * np.exp(-t * 18)
    snare = rng.standard_normal(t.size) * np.exp(-t * 25) * 0.6
    hat = rng.standard_normal(t.size) * np.exp(-t * 80) * 0.2
    for beat in range(4):
        start = beat * BEAT_SAMPLES
        y[start:start + t.size] += kick if beat % 2 == 0 else snare
        for half in (0, BEAT_SAMPLES // 2):
            y[start + half:start + half + t.size] += np.diff(np.r_[0, hat])
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def _bass_loop() -> np.ndarray:
    """A plucked sawtooth bass line (A1, C2, E2, G1): one note per beat, fast attack."""
    y = np.zeros(LOOP_SAMPLES)
    t = np.arange(BEAT_SAMPLES) / SAMPLE_RATE
    for beat, f0 in enumerate((55.0, 65.41, 82.41, 49.0)):
        saw = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
        y[beat * BEAT_SAMPLES:(beat + 1) * BEAT_SAMPLES] = saw * np.exp(-t * 4) * np.minimum(1, t * 200)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def _pad_loop() -> np.ndarray:
    """A sustained A minor chord in the middle register (sines with a few partials)."""
    y = sum(np.sin(2 * np.pi * k * f * T) / k ** 2 for f in (220.0, 261.63, 329.63) for k in (1, 2, 3))
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def test_synthetic_loops_get_their_roles():
    loops = np.stack([_drum_loop(), _bass_loop(), _pad_loop()])
    assert classify_roles(loops) == ["drum", "bass", "other"]
    features = role_features(loops)
    assert features.shape == (3, len(FEATURES))
    assert np.all(np.isfinite(features))
    assert np.all((features[:, :4] >= 0) & (features[:, :4] <= 1))  # the four shares
    assert classify_roles(loops, backend="rules") == ["drum", "bass", "other"]


def test_role_model_refits_and_predicts():
    rng = np.random.default_rng(0)
    centres = {"drum": 0.0, "bass": 3.0, "other": 6.0}
    labels = np.repeat(list(centres), 20)
    features = np.array([centres[lab] for lab in labels])[:, None] + rng.normal(0, 0.5, (labels.size, len(FEATURES)))
    model = fit_role_model(features, labels)
    assert model.predict(features) == list(labels)
    assert model.predict(np.full((1, len(FEATURES)), np.nan)) == ["other"]
    assert load_default_model().mean.size == len(FEATURES)


def test_single_loop_silence_and_other_rates():
    assert classify_roles(_pad_loop()) == ["other"]
    assert classify_roles(np.zeros((1, LOOP_SAMPLES), np.float32)) == ["other"]
    half = _bass_loop()[::2].copy()  # the same bass line at 22,050 Hz
    assert classify_roles(half, sr=22050) == ["bass"]


@pytest.mark.skipif(not LMMS.is_dir(), reason="lmms-common samples not installed")
def test_real_lmms_samples():
    from nlc.audio import load_audio

    cases = {"drums/snare01.ogg": "drum", "drums/hihat_closed01.ogg": "drum", "beats/break01.ogg": "drum",
             "basses/bass01.ogg": "bass", "bassloops/techno_bass01.ogg": "bass",
             "stringsnpads/strings01.ogg": "other", "instruments/flute01.ogg": "other"}
    loops = []
    for rel in cases:
        audio = load_audio(LMMS / rel, allow_silence=True)
        loops.append(np.tile(audio, int(np.ceil(LOOP_SAMPLES / audio.size)))[:LOOP_SAMPLES])
    assert classify_roles(np.stack(loops)) == list(cases.values())


def test_bad_input_is_rejected():
    with pytest.raises(InputError, match="unknown instrumentation backend"):
        classify_roles(_pad_loop(), backend="demucs")
    with pytest.raises(InputError, match="NaN"):
        classify_roles(np.full((2, 100), np.nan, np.float32))
    with pytest.raises(InputError, match="shape"):
        classify_roles(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(InputError, match="float"):
        classify_roles(np.zeros(100, np.int16))
    with pytest.raises(InputError, match="sr"):
        classify_roles(_pad_loop(), sr=0)


def test_spleeter_unavailable_says_why(monkeypatch, tmp_path):
    monkeypatch.delenv(PYTHON_ENV, raising=False)
    with pytest.raises(NLCError, match=PYTHON_ENV):
        classify_roles(_pad_loop(), backend="spleeter")
    monkeypatch.setenv(PYTHON_ENV, str(tmp_path / "no-python"))
    with pytest.raises(NLCError, match="not an executable"):
        classify_roles(_pad_loop(), backend="spleeter")
    monkeypatch.setenv(PYTHON_ENV, sys.executable)  # this environment has no spleeter
    with pytest.raises(NLCError, match="spleeter cannot be imported"):
        classify_roles(_pad_loop(), backend="spleeter")


def test_spleeter_roles_from_stem_energies():
    energies = [{"vocals": 0.0, "drums": 9.0, "bass": 0.5, "other": 0.5},
                {"vocals": 0.1, "drums": 0.1, "bass": 8.0, "other": 0.1},
                {"vocals": 1.0, "drums": 3.0, "bass": 3.0, "other": 3.0},
                {"vocals": 0.0, "drums": 0.0, "bass": 0.0, "other": 0.0}]
    assert roles_from_energies(energies) == ["drum", "bass", "other", "other"]
    assert set(ROLES) == {"drum", "bass", "other"}


@pytest.mark.parametrize("shape", [(232, 173), (40, 3), (5, 7), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("margin", [1.0, 2.0])
def test_fast_hpss_is_librosas_bit_for_bit(shape, dtype, margin):
    """The role detector's HPSS replaces ndimage's 2-D median filter by an exact selection: it
    must give librosa's bytes (the role features, hence every release, depend on them),
    with zero rows/columns (softmask's split_zeros) and windows wider than the array."""
    import librosa

    from nlc.dataset_builder.roles.detector import _hpss

    rng = np.random.default_rng(sum(shape))
    S = (rng.random(shape) ** 3).astype(dtype)
    S[:, ::3] = 0
    S[::4] = 0
    S[1::5] = np.round(S[1::5], 1)  # ties
    expected = librosa.decompose.hpss(S, margin=margin)
    for got, want in zip(_hpss(S, margin=margin), expected):
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_fast_hpss_matches_librosa_on_loop_spectra():
    import librosa

    from nlc.dataset_builder.roles.detector import _FRAME, _HOP, _HPSS_MAX_HZ, _hpss

    freqs = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=_FRAME)
    for y in (_drum_loop(), _bass_loop(), _pad_loop()):
        S = (np.abs(librosa.stft(y, n_fft=_FRAME, hop_length=_HOP)) ** 2)[freqs < _HPSS_MAX_HZ]
        for got, want in zip(_hpss(S, margin=1.0), librosa.decompose.hpss(S, margin=1.0)):
            assert got.tobytes() == want.tobytes()
