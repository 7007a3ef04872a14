"""Audio I/O: formats, resampling, and a clear error naming the file for every bad input."""

import subprocess

import numpy as np
import pytest
import soundfile as sf

from nlc.audio import load_audio, write_wav
from nlc.errors import AudioError


def _tone(sr: int, seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    mono = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.stack([mono] * channels, axis=1) if channels > 1 else mono


def test_stereo_8k_is_resampled_to_mono_44k(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(8000, 1.0, channels=2), 8000)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.size - 44100) <= 1


@pytest.mark.parametrize("channels", [2, 3, 6])
def test_multichannel_mix_is_exactly_the_channel_mean(tmp_path, channels):
    rng = np.random.default_rng(channels)
    data = rng.uniform(-0.9, 0.9, size=(20_000, channels)).astype(np.float32)
    path = tmp_path / "multi.wav"
    sf.write(path, data, 44100, subtype="FLOAT")
    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(audio, data.mean(axis=1))


def test_write_then_read_roundtrip(tmp_path):
    audio = _tone(44100, 0.5).astype(np.float32)
    path = write_wav(tmp_path / "sub" / "x.wav", audio)
    back = load_audio(path)
    np.testing.assert_allclose(back, audio, atol=1 / 32767)
    assert list(tmp_path.glob("sub/*.wav")) == [path]  # no temp file left behind


def test_mp3_through_ffmpeg_or_libsndfile(tmp_path):
    wav = tmp_path / "tone.wav"
    sf.write(wav, _tone(44100, 1.0), 44100)
    mp3 = tmp_path / "tone.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), str(mp3)], check=True)
    assert abs(load_audio(mp3).size - 44100) < 3000  # mp3 adds encoder padding


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_bytes(b"RIFF\x00\x00garbage" * 10), "unreadable"),
        (lambda p: sf.write(p, np.zeros(44100), 44100), "silent"),
    ],
    ids=["missing", "empty", "corrupt", "silent"],
)
def test_bad_input_names_the_file(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=message) as info:
        load_audio(path)
    assert "bad.wav" in str(info.value)


def test_length_limits(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, _tone(44100, 1.0), 44100)
    with pytest.raises(AudioError, match="shorter"):
        load_audio(path, min_seconds=2.0)
    with pytest.raises(AudioError, match="longer"):
        load_audio(path, max_seconds=0.5)


def _corrupt_mp3(kind: str) -> bytes:
    """An ID3 tag, then either random bytes or MPEG-1 layer III frame headers around random payloads."""
    rng = np.random.default_rng(0)
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10
    if kind == "random":
        return id3 + rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    frame = b"\xff\xfb\x90\x64"  # sync, MPEG-1 layer III, 128 kb/s, 44.1 kHz: 417-byte frames
    return id3 + b"".join(frame + rng.integers(0, 256, 413, dtype=np.uint8).tobytes() for _ in range(40))


@pytest.mark.parametrize("kind", ["random", "frames"])
def test_corrupt_mp3_is_one_audio_error_and_silence_on_stderr(tmp_path, capfd, kind):
    # libmpg123 (inside libsndfile) printed "Note: Illegal Audio-MPEG-Header ..." or a hundred
    # "[src/libmpg123/layer3.c:...] error: big_values too large!" lines straight to fd 2, and the
    # frames variant even decoded to garbage samples ~3e5 times full scale without an error.
    path = tmp_path / "bad.mp3"
    path.write_bytes(_corrupt_mp3(kind))
    with pytest.raises(AudioError, match=r"bad\.mp3: (unreadable|corrupt) audio"):
        load_audio(path)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_other_stderr_output_survives_the_mp3_silencer(tmp_path, capfd):
    import os

    from nlc.audio import quiet_mpg123

    with quiet_mpg123():
        os.write(2, b"Note: Trying to resync...\n[src/libmpg123/layer3.c:1] error: bad frame\nkept line\n")
    assert capfd.readouterr().err == "kept line\n"
