"""Audio I/O shared by every subsystem.

:func:`load_audio` reads anything libsndfile or ffmpeg can decode, mixes to mono and
resamples, and turns every way a file can be unusable (missing, corrupt, empty, silent,
too short, too long) into an :class:`~nlc.errors.AudioError` naming the file, so that a
long job can skip it with a one-line reason. :func:`write_wav` writes atomically, so an
interrupted job never leaves a half-written file behind.

libsndfile decodes MP3 through libmpg123, which prints its complaints about a corrupt
stream ("big_values too large!", "Illegal Audio-MPEG-Header ...") straight to the
process's stderr (file descriptor 2), below Python. :func:`load_audio` catches them
(:func:`quiet_mpg123`, also for any other libsndfile call on a user's file, e.g.
``sf.info``): a bad file gives one AudioError and nothing else on stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
import soundfile as sf

from nlc.atomic import atomic_path
from nlc.errors import AudioError
from nlc.spec import SAMPLE_RATE

SILENCE_PEAK: float = 1e-4
"""Peak amplitude (full scale = 1.0) below which a file counts as silent (-80 dBFS)."""

MAX_PEAK: float = 16.0
"""Peak amplitude (full scale = 1.0) above which decoded samples are garbage (+24 dBFS).

A real recording decodes to about [-1, 1] (a lossy codec overshoots by a few dB at most);
a corrupt MP3 whose frame headers survived decodes to values in the thousands."""

_MPG123_LINE = re.compile(rb"^(?:\[[^\]\n]*mpg123[^\]\n]*\][^\n]*|(?:Note|Warning|Error): [^\n]*)(?:\n|$)", re.MULTILINE)
"""What libmpg123 prints: ``[src/libmpg123/layer3.c:...] error: ...`` and ``Note: ...`` lines."""

_fd2_lock = threading.Lock()
_fd2_users = 0
_fd2_saved = -1
_fd2_capture: IO[bytes] | None = None


@contextmanager
def quiet_mpg123() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file while decoding; then drop libmpg123's lines
    from what was caught and write the rest (another thread's output) back to stderr.

    Threads decoding at once share one capture (counted), so fd 2 is restored only when the
    last one is done."""
    global _fd2_users, _fd2_saved, _fd2_capture
    with _fd2_lock:
        if _fd2_users == 0:
            try:
                sys.stderr.flush()
            except (AttributeError, OSError, ValueError):
                pass
            try:
                _fd2_saved = os.dup(2)
            except OSError:  # no stderr to protect
                _fd2_saved = -1
            else:
                _fd2_capture = tempfile.TemporaryFile()
                os.dup2(_fd2_capture.fileno(), 2)
        _fd2_users += 1
    try:
        yield
    finally:
        with _fd2_lock:
            _fd2_users -= 1
            if _fd2_users == 0 and _fd2_capture is not None:
                try:
                    sys.stderr.flush()
                except (AttributeError, OSError, ValueError):
                    pass
                os.dup2(_fd2_saved, 2)
                os.close(_fd2_saved)
                capture, _fd2_capture = _fd2_capture, None
                with capture:
                    capture.seek(0)
                    rest = _MPG123_LINE.sub(b"", capture.read())
                while rest:
                    rest = rest[os.write(2, rest):]


def _decode_ffmpeg(path: Path, sr: int) -> np.ndarray:
    if shutil.which("ffmpeg") is None:
        raise AudioError(f"{path}: libsndfile cannot read it and ffmpeg is not installed")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(sr), "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(f"{path}: unreadable audio ({reason[-1] if reason else 'ffmpeg failed'})")
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()


def mix_to_mono(data: np.ndarray) -> np.ndarray:
    """Mean of the channels of ``data`` (frames, channels), float32.

    Adds whole channel columns instead of ``data.mean(axis=1)``: numpy's reduction over a
    short inner axis is ~15x slower (0.16 s for a 4-minute stereo song). Summing the columns
    in order and dividing by the channel count is bit-identical to the mean.
    """
    if data.shape[1] == 1:
        return data[:, 0]
    total = data[:, 0].copy()
    for c in range(1, data.shape[1]):
        total += data[:, c]
    total /= np.float32(data.shape[1])
    return total


def load_audio(
    path: str | os.PathLike[str],
    *,
    sr: int = SAMPLE_RATE,
    min_seconds: float = 0.0,
    max_seconds: float | None = None,
    allow_silence: bool = False,
) -> np.ndarray:
    """Decode an audio file to mono float32 at ``sr`` Hz.

    Parameters
    ----------
    path : path-like
        Any format libsndfile reads (WAV, FLAC, OGG, MP3) or, failing that, ffmpeg.
    sr : int, default 44100
        Target sampling rate in Hz; the file is resampled (soxr high quality) if needed.
    min_seconds : float, default 0.0
        Reject files shorter than this many seconds.
    max_seconds : float or None, default None
        Reject files longer than this many seconds (None: no limit).
    allow_silence : bool, default False
        If False, a file whose peak is below :data:`SILENCE_PEAK` is rejected.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32

    Raises
    ------
    AudioError
        Naming the file and the reason, for every unusable input.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file")
    try:
        with quiet_mpg123():
            data, native_sr = sf.read(str(path), dtype="float32", always_2d=True)
        audio = mix_to_mono(data)
    except (sf.LibsndfileError, RuntimeError, ValueError):
        audio, native_sr = _decode_ffmpeg(path, sr), sr
    if audio.size == 0:
        raise AudioError(f"{path}: contains no samples")
    if not np.all(np.isfinite(audio)):
        raise AudioError(f"{path}: contains NaN or infinite samples")
    peak = float(np.max(np.abs(audio)))
    if peak > MAX_PEAK:
        raise AudioError(f"{path}: corrupt audio (decoded samples reach {peak:.3g} times full scale)")
    if native_sr != sr:
        import librosa

        audio = librosa.resample(audio, orig_sr=native_sr, target_sr=sr, res_type="soxr_hq").astype(np.float32)
    seconds = audio.size / sr
    if seconds < min_seconds:
        raise AudioError(f"{path}: {seconds:.2f} s long, shorter than the {min_seconds:.2f} s required")
    if max_seconds is not None and seconds > max_seconds:
        raise AudioError(f"{path}: {seconds:.1f} s long, longer than the {max_seconds:.1f} s allowed")
    if not allow_silence and float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioError(f"{path}: silent (peak below {SILENCE_PEAK:g} of full scale)")
    return np.ascontiguousarray(audio, dtype=np.float32)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, *, sr: int = SAMPLE_RATE, subtype: str = "PCM_16") -> Path:
    """Write mono or (samples, channels) audio as WAV, atomically (through :mod:`nlc.atomic`).

    ``subtype`` is a libsndfile subtype; the default 16-bit PCM is lossless for what it
    stores, so every decoder returns the same samples. Values are clipped to [-1, 1].
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0), sr, subtype=subtype, format="WAV")
    return path
