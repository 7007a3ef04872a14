"""Loop extraction of one song file into its folder ``OUT/<song_id>/``, atomically.

The folder is assembled under a hidden temporary name in ``OUT`` and renamed into place
only when complete (:func:`nlc.atomic.atomic_dir`), so a crash, a bad song or a killed
worker never leaves a partial song folder; a resumed job can trust that an existing
folder is finished.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from nlc.atomic import atomic_dir
from nlc.audio import load_audio
from nlc.dataset_builder.extraction.config import ExtractionConfig
from nlc.dataset_builder.extraction.pipeline import Extraction, StepClock, extract_loops, loop_id
from nlc.dataset_builder.extraction.probe import check_input
from nlc.errors import InputError
from nlc.loops.layout import encode_wav
from nlc.spec import LOOP_SAMPLES, SAMPLE_RATE


def summarise(ex: Extraction, *, song_id: str, source: str, config: ExtractionConfig) -> dict:
    """The ``summary.json`` of a song (JSON-ready)."""
    dec = ex.decomposition
    return {
        "song_id": song_id,
        "source": source,
        "loops": ex.ids,
        "n_pairs": len(ex.pairs),
        "tempo": round(ex.grid.tempo, 3),
        "downbeats": [round(float(t), 4) for t in ex.grid.downbeats],
        "n_bars": int(ex.grid.downbeats.size - 1),
        "beat": {"phase": ex.grid.phase, "beat_cv": round(ex.grid.beat_cv, 4),
                 "pulse_clarity": round(ex.grid.pulse_clarity, 3)},
        "ranks": list(dec.ranks),
        "decomposition_rel_error": round(dec.rel_error, 4),
        "best_bar": ex.best_bar,
        "sdr_db": ex.sdr_db,
        "refinement": {
            "n_before": int(dec.loops.shape[0]),
            "n_after": len(ex.ids),
            "removed": [{"loop": loop_id(i), "merged_into": loop_id(j)} for i, j in sorted(ex.refined.merged_into.items())],
            "rare": [loop_id(i) for i in ex.refined.rare],
        },
        "timings": ex.timings,
        "cpu_timings": ex.cpu_timings,
        "config": config.as_dict(),
    }


def loop_wav_bytes(audio: np.ndarray, *, sr: int, where: str) -> bytes:
    """A loop's 16-bit PCM WAV bytes, encoded once: for a dataset loop (2 s at 44.1 kHz) the
    canonical :func:`~nlc.loops.layout.encode_wav` bytes the release stores as they are; other
    rates or lengths (non-default settings, which the release refuses) the same encoding."""
    if sr == SAMPLE_RATE and np.shape(audio) == (LOOP_SAMPLES,):
        return encode_wav(audio, where=where)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0), sr, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


@dataclass(frozen=True)
class SongFiles:
    """One song extracted in memory: its folder's files (relative path -> bytes), summary and extraction."""

    files: dict[str, bytes]
    summary: dict
    extraction: Extraction


def song_files(audio_path: str | os.PathLike[str], *, song_id: str, config: ExtractionConfig = ExtractionConfig(),
               plot: bool = False) -> SongFiles:
    """Extract one song and encode its folder in memory, each file once (see :func:`extract_song`).

    The one definition of a song folder: :func:`extract_song` writes these bytes, and the
    dataset build records them without touching the disk in between. Raises like
    :func:`extract_song`.
    """
    path = Path(audio_path)
    if not song_id or "/" in song_id or song_id.startswith("."):
        raise InputError(f"invalid song_id {song_id!r}")
    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}
    clock = StepClock(timings, cpu_timings)
    check_input(path, min_native_sr=config.min_native_sr, max_seconds=config.max_seconds)
    audio = load_audio(path, sr=config.sr, max_seconds=config.max_seconds)
    clock.lap("decode")
    ex = extract_loops(audio, config=config, timings=timings, cpu_timings=cpu_timings)
    summary = summarise(ex, song_id=song_id, source=str(path), config=config)
    clock = StepClock(timings, cpu_timings)
    files = {f"loops/{lid}.wav": loop_wav_bytes(loop, sr=config.sr, where=f"{song_id}/{lid}")
             for lid, loop in zip(ex.ids, ex.audio)}
    layout = io.BytesIO()
    np.save(layout, ex.layout.astype(np.float32))
    files["layout.npy"] = layout.getvalue()
    files["pairs.csv"] = ("loop_a,loop_b\n" + "".join(f"{a},{b}\n" for a, b in ex.pairs)).encode("utf-8")
    if plot:
        from nlc.dataset_builder.extraction.plot import plot_extraction

        png = io.BytesIO()
        plot_extraction(png, ex, title=song_id, threshold=config.pair_threshold)
        files["extraction.png"] = png.getvalue()
    clock.lap("write")
    for steps in (timings, cpu_timings):
        steps["total"] = round(sum(steps.values()), 4)
    files["summary.json"] = (json.dumps(summary, indent=2) + "\n").encode("utf-8")
    return SongFiles(files=dict(sorted(files.items())), summary=summary, extraction=ex)


def extract_song(
    audio_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    song_id: str,
    config: ExtractionConfig = ExtractionConfig(),
    plot: bool = False,
) -> dict:
    """Extract the loops, layout and pairs of one song into ``out_dir/<song_id>/``.

    Parameters
    ----------
    audio_path : path-like
        Any file :func:`nlc.audio.load_audio` decodes.
    out_dir : path-like
        Parent folder; created if needed. An existing ``<song_id>`` folder is replaced.
    song_id : str
        Folder name and id of the song (6-digit track id in the dataset).
    config : ExtractionConfig
        Settings (frozen, picklable).
    plot : bool, default False
        Also write ``extraction.png`` (layout over bars and each loop's spectrogram).

    Returns
    -------
    dict
        The song's summary, as written to ``summary.json``.

    Raises
    ------
    AudioError
        Unreadable, silent, too long or low-sample-rate file.
    ExtractionError
        No stable beat or too few bars. Nothing is written in either case.
    """
    song = song_files(audio_path, song_id=song_id, config=config, plot=plot)
    with atomic_dir(Path(out_dir) / song_id) as tmp:
        for rel, data in song.files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
    return song.summary
