import numpy as np
import pytest
from extraction_songs import make_song

from nlc.dataset_builder.extraction.beats import track_beats
from nlc.dataset_builder.extraction.spectrum import mel_magnitude
from nlc.errors import ExtractionError

SR, HOP = 44_100, 512


def _grid(audio, **kw):
    import librosa

    mel = mel_magnitude(audio, sr=SR, n_fft=2048, hop_length=HOP, n_mels=64)
    db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=None)
    return track_beats(db, sr=SR, hop_length=HOP, duration=audio.size / SR, **kw)


@pytest.mark.parametrize("tempo,pickup", [(100.0, 1), (124.0, 3), (92.0, 0), (80.0, 2)])
def test_tempo_and_downbeats_match_truth(tempo, pickup):
    song = make_song(tempo=tempo, pickup_beats=pickup, seed=pickup)
    grid = _grid(song.audio)
    assert grid.tempo == pytest.approx(song.tempo, rel=0.02)
    # bar phase is found although the first beat is a pickup beat
    hop_s = HOP / SR
    first = int(np.argmin(np.abs(song.downbeats - grid.downbeats[0])))
    assert abs(song.downbeats[first] - grid.downbeats[0]) < 2 * hop_s
    assert first <= 1  # at most the very first bar is lost (no beat tracked at t = 0)
    truth = song.downbeats[first:]
    n = min(len(truth), len(grid.downbeats))
    assert n >= len(song.downbeats) - 1
    assert np.max(np.abs(grid.downbeats[:n] - truth[:n])) < 3 * hop_s


def test_white_noise_has_no_stable_beat():
    noise = np.random.default_rng(0).standard_normal(SR * 30).astype(np.float32) * 0.1
    with pytest.raises(ExtractionError, match="no stable beat"):
        _grid(noise)


def test_sustained_tone_has_no_stable_beat():
    t = np.arange(SR * 30) / SR
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    with pytest.raises(ExtractionError, match="no stable beat"):
        _grid(tone)


def test_harmony_changes_pick_the_bar_phase_when_the_kick_does_not():
    """Kick on every beat, no bar-to-bar change: only chord changes on bar lines tell the phase."""
    from nlc.dataset_builder.extraction.beats import downbeat_phase

    beats_per_bar, n_bars, frames_per_beat = 4, 12, 20
    beat_frames = np.arange(n_bars * beats_per_bar) * frames_per_beat
    n_frames = beat_frames[-1] + frames_per_beat
    mel_db = np.zeros((16, n_frames))  # the same sound every bar
    kick = np.ones(beat_frames.size)  # four-on-the-floor
    chroma = np.zeros((12, n_frames))
    for bar in range(n_bars):  # chords change on beat index 1 of each bar (pickup of one beat)
        start = beat_frames[min(bar * beats_per_bar + 1, beat_frames.size - 1)]
        chroma[(bar * 5) % 12, start:start + beats_per_bar * frames_per_beat] = 1.0
    chroma[0, :beat_frames[1]] = 1.0
    assert downbeat_phase(beat_frames, mel_db, kick, chroma=chroma, beats_per_bar=beats_per_bar) == 1
