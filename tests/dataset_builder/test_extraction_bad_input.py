"""Every unusable song gives one clear line and leaves no folder behind."""

import numpy as np
import pytest
import soundfile as sf
from extraction_songs import make_song

from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
from nlc.errors import AudioError, ExtractionError

SR = 44_100


def _check(tmp_path, path, exc, match, config=ExtractionConfig()):
    out = tmp_path / "out"
    with pytest.raises(exc, match=match) as info:
        extract_song(path, out, song_id="000009", config=config)
    assert "\n" not in str(info.value)
    assert not out.exists() or list(out.iterdir()) == []


def test_corrupt_file(tmp_path):
    p = tmp_path / "bad.mp3"
    p.write_bytes(b"ID3\x03\x00garbage" * 100)
    _check(tmp_path, p, AudioError, "bad.mp3")


def test_missing_file(tmp_path):
    _check(tmp_path, tmp_path / "nope.wav", AudioError, "no such file")


def test_silence(tmp_path):
    p = tmp_path / "silence.wav"
    sf.write(p, np.zeros(SR * 20, np.float32), SR)
    _check(tmp_path, p, AudioError, "silent")


def test_fewer_than_eight_bars(tmp_path):
    song = make_song(layout=np.ones((5, 4), dtype=np.int64), tempo=120.0)
    p = tmp_path / "short.wav"
    sf.write(p, song.audio, SR)
    _check(tmp_path, p, ExtractionError, "fewer than the 8 required")


def test_no_beat(tmp_path):
    p = tmp_path / "noise.wav"
    sf.write(p, 0.1 * np.random.default_rng(0).standard_normal(SR * 30).astype(np.float32), SR)
    _check(tmp_path, p, ExtractionError, "no stable beat")


def test_eight_khz_mono(tmp_path):
    song = make_song()
    p = tmp_path / "phone.wav"
    sf.write(p, song.audio[::6][: 8000 * 30], 8000)  # crude 8 kHz copy: only the rate matters
    _check(tmp_path, p, AudioError, "8000 Hz")


def test_too_long_is_refused_before_decoding(tmp_path):
    # the guard reads the header only; a 60-s file against a 50-s limit stands in for 20 minutes
    p = tmp_path / "long.wav"
    sf.write(p, make_song(layout=np.ones((24, 4), dtype=np.int64), tempo=96.0).audio, SR)
    _check(tmp_path, p, AudioError, "longer than the 50.0 s allowed", ExtractionConfig(max_seconds=50.0))


def test_default_limit_refuses_twenty_minutes(tmp_path):
    p = tmp_path / "twenty.flac"
    # 20 minutes of near-silent 8-bit audio at 22,050 Hz is a small file that the header check refuses
    with sf.SoundFile(p, "w", samplerate=22_050, channels=1, subtype="PCM_S8", format="FLAC") as fh:
        block = np.zeros(22_050 * 60, np.float32)
        for _ in range(20):
            fh.write(block)
    _check(tmp_path, p, AudioError, "longer than the 900.0 s allowed")


def test_corrupt_mp3_leaves_stderr_silent(tmp_path, capfd):
    # the probe's sf.info let libmpg123 print "Note: Illegal Audio-MPEG-Header ..." to fd 2
    p = tmp_path / "bad.mp3"
    p.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + np.random.default_rng(0).bytes(20_000))
    _check(tmp_path, p, AudioError, r"bad\.mp3: unreadable audio")
    assert capfd.readouterr() == ("", "")
