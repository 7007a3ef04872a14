"""What one Dask task does with one song: check, extract loops, detect roles, return the files.

The task runs on a worker, possibly on another machine, so it writes nothing at all: it
decodes and extracts the song in memory, encodes each loop once to its canonical WAV
bytes (:func:`~nlc.loops.layout.encode_wav`), classifies the loops' roles from exactly
those 16-bit samples, and returns the song's files as bytes. The build's client then
records them atomically in the work folder
(:class:`~nlc.dataset_builder.build.workdir.WorkDir`), so one process writes and a killed
worker can never leave a half-recorded song, and the release copies the loops' bytes as
they are. A song that cannot be used comes back as a failure with a one-line reason
instead of an exception, so one bad file never stops a build of thousands.
"""

from __future__ import annotations

import io
import math
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nlc.audio import mix_to_mono, quiet_mpg123
from nlc.errors import AudioError, NLCError
from nlc.spec import SAMPLE_RATE

TRUNCATED_SHARE: float = 0.9
"""A whole-song file holding less than this share of FMA's listed duration is truncated."""
TRUNCATED_SLACK_S: float = 2.0
"""Seconds of tolerance on top of :data:`TRUNCATED_SHARE` (FMA rounds durations)."""


def check_not_truncated(song: Mapping[str, Any]) -> None:
    """Reject a whole-song file much shorter than the duration FMA lists for it.

    FMA has known truncated MP3s that still decode: only the metadata reveals them. Clips
    (``fma_large``) are 30 s by design and are not checked. Raises AudioError.
    """
    expected = song.get("duration")
    if song.get("subset") != "full" or expected is None or not math.isfinite(float(expected)) or expected <= 0:
        return
    import soundfile as sf

    try:
        with quiet_mpg123():  # libmpg123 prints header warnings of a damaged MP3 straight to stderr
            actual = sf.info(str(song["audio_path"])).duration
    except (sf.LibsndfileError, RuntimeError):
        return  # libsndfile cannot tell; the decoder will judge the file
    if actual < TRUNCATED_SHARE * float(expected) - TRUNCATED_SLACK_S:
        raise AudioError(f"{song['audio_path']}: truncated, holds {actual:.1f} s of the {float(expected):.1f} s FMA lists")


def decode_loop(data: bytes) -> np.ndarray:
    """The mono float32 samples at 44.1 kHz of WAV bytes, as :func:`nlc.audio.load_audio` reads
    the same bytes from a file (16-bit samples / 32768; resampled like it if another rate)."""
    import soundfile as sf

    audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    mono = mix_to_mono(audio)
    if sr != SAMPLE_RATE:
        import librosa

        mono = librosa.resample(mono, orig_sr=sr, target_sr=SAMPLE_RATE, res_type="soxr_hq").astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)


def process_song(song: Mapping[str, Any], *, config: Any = None) -> dict[str, Any]:
    """Extract one song and detect its loops' roles; runs on a Dask worker.

    Parameters
    ----------
    song : mapping
        A row of :attr:`IngestResult.songs <nlc.dataset_builder.build.ingest.IngestResult>`
        (``song_id``, ``audio_path``, ``subset``, ``duration``...).
    config : ExtractionConfig or None
        Extraction settings (None: the defaults).

    Returns
    -------
    dict
        ``{"song_id", "ok": True, "files": {relative path: bytes}, "roles": {local id: role}}``
        or ``{"song_id", "ok": False, "reason": str}``; both with ``cpu_seconds`` (CPU time
        of the worker process on this song, for throughput measurements).
    """
    from nlc.dataset_builder.extraction import ExtractionConfig
    from nlc.dataset_builder.extraction.song import song_files
    from nlc.dataset_builder.extraction.pipeline import cpu_seconds
    from nlc.dataset_builder.roles.detector import classify_roles

    song_id = str(song["song_id"])
    config = ExtractionConfig() if config is None else config
    cpu_start = cpu_seconds()
    try:
        check_not_truncated(song)
        files = song_files(song["audio_path"], song_id=song_id, config=config).files
        wavs = sorted(rel for rel in files if rel.startswith("loops/") and rel.endswith(".wav"))
        roles: dict[str, str] = {}
        if wavs:  # from the 16-bit samples the record holds, not the float extraction output
            loops = np.stack([decode_loop(files[rel]) for rel in wavs])
            roles = {Path(rel).stem: str(r) for rel, r in zip(wavs, classify_roles(loops))}
        result = {"song_id": song_id, "ok": True, "files": dict(sorted(files.items())), "roles": roles}
    except NLCError as exc:
        result = {"song_id": song_id, "ok": False, "reason": str(exc)}
    except Exception as exc:  # a bug or a library failure on one song must not stop the build
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result = {"song_id": song_id, "ok": False,
                  "reason": f"unexpected {type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"}
    result["cpu_seconds"] = round(cpu_seconds() - cpu_start, 3)
    return result
