"""Cheap checks of a song file before decoding it (native sampling rate, duration).

A 20-minute file or an 8 kHz telephone recording should be refused in milliseconds with
one line, not after decoding (which for a long file costs seconds and hundreds of MB).
libsndfile answers for WAV/FLAC/OGG/MP3; ``ffprobe`` for the rest. When neither can say,
the checks are left to :func:`nlc.audio.load_audio`, which also rejects corrupt files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from nlc.errors import AudioError


def probe(path: Path) -> tuple[int, float] | None:
    """(native sampling rate in Hz, duration in s) of ``path``, or None if unknown."""
    import soundfile as sf

    from nlc.audio import quiet_mpg123

    try:
        with quiet_mpg123():  # libmpg123 prints its complaints about a corrupt MP3 to fd 2
            info = sf.info(str(path))
        if info.samplerate > 0 and info.frames > 0:
            return int(info.samplerate), float(info.frames) / info.samplerate
    except (sf.LibsndfileError, RuntimeError, ValueError):
        pass  # not a libsndfile format: fall through to the ffmpeg probe below
    if shutil.which("ffprobe") is None:
        return None
    cmd = ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate:format=duration",
           "-of", "json", str(path)]
    proc = subprocess.run(cmd, capture_output=True, check=False, text=True)
    try:
        data = json.loads(proc.stdout)
        return int(data["streams"][0]["sample_rate"]), float(data["format"]["duration"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def check_input(path: Path, *, min_native_sr: int, max_seconds: float) -> None:
    """Raise AudioError if ``path`` is sampled below ``min_native_sr`` Hz or longer than ``max_seconds``."""
    found = probe(path)
    if found is None:
        return
    sr, seconds = found
    if sr < min_native_sr:
        raise AudioError(f"{path}: sampled at {sr} Hz, below the {min_native_sr} Hz needed to separate loops")
    if seconds > max_seconds:
        raise AudioError(f"{path}: {seconds:.1f} s long, longer than the {max_seconds:.1f} s allowed")
