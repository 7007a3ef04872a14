"""What one Dask task does with one song: check, extract loops, detect roles, return the files.

The task runs on a worker, possibly on another machine, so it writes nothing that the
build relies on: it extracts into a private temporary folder and returns the song's files
as bytes. The build's client then records them atomically in the work folder
(:class:`~nlc.dataset_builder.build.workdir.WorkDir`), so one process writes and a killed
worker can never leave a half-recorded song. A song that cannot be used comes back as a
failure with a one-line reason instead of an exception, so one bad file never stops a
build of thousands.
"""

from __future__ import annotations

import math
import tempfile
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nlc.audio import load_audio
from nlc.errors import AudioError, NLCError

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
        actual = sf.info(str(song["audio_path"])).duration
    except (sf.LibsndfileError, RuntimeError):
        return  # libsndfile cannot tell; the decoder will judge the file
    if actual < TRUNCATED_SHARE * float(expected) - TRUNCATED_SLACK_S:
        raise AudioError(f"{song['audio_path']}: truncated, holds {actual:.1f} s of the {float(expected):.1f} s FMA lists")


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


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
    from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
    from nlc.dataset_builder.extraction.pipeline import cpu_seconds
    from nlc.dataset_builder.roles.detector import classify_roles

    song_id = str(song["song_id"])
    config = ExtractionConfig() if config is None else config
    cpu_start = cpu_seconds()
    try:
        check_not_truncated(song)
        with tempfile.TemporaryDirectory(prefix=f"nlc-{song_id}-") as tmp:
            extract_song(song["audio_path"], tmp, song_id=song_id, config=config, plot=False)
            folder = Path(tmp) / song_id
            wavs = sorted((folder / "loops").glob("*.wav"))
            roles: dict[str, str] = {}
            if wavs:
                loops = np.stack([load_audio(p, allow_silence=True) for p in wavs])
                roles = {p.stem: str(r) for p, r in zip(wavs, classify_roles(loops))}
            result = {"song_id": song_id, "ok": True, "files": _folder_files(folder), "roles": roles}
    except NLCError as exc:
        result = {"song_id": song_id, "ok": False, "reason": str(exc)}
    except Exception as exc:  # a bug or a library failure on one song must not stop the build
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result = {"song_id": song_id, "ok": False,
                  "reason": f"unexpected {type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"}
    result["cpu_seconds"] = round(cpu_seconds() - cpu_start, 3)
    return result
