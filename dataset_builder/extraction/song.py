"""Loop extraction of one song file into its folder ``OUT/<song_id>/``, atomically.

The folder is assembled under a hidden temporary name in ``OUT`` and renamed into place
only when complete (:func:`nlc.atomic.atomic_dir`), so a crash, a bad song or a killed
worker never leaves a partial song folder; a resumed job can trust that an existing
folder is finished.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from nlc.atomic import atomic_dir
from nlc.audio import load_audio, write_wav
from nlc.dataset_builder.extraction.config import ExtractionConfig
from nlc.dataset_builder.extraction.pipeline import Extraction, StepClock, extract_loops, loop_id
from nlc.dataset_builder.extraction.probe import check_input
from nlc.errors import InputError


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
        },
        "timings": ex.timings,
        "cpu_timings": ex.cpu_timings,
        "config": config.as_dict(),
    }


def _write_song(folder: Path, ex: Extraction, summary: dict, *, config: ExtractionConfig, plot: bool) -> None:
    sr = config.sr
    for lid, audio in zip(ex.ids, ex.audio):
        write_wav(folder / "loops" / f"{lid}.wav", audio, sr=sr)
    np.save(folder / "layout.npy", ex.layout.astype(np.float32))
    with open(folder / "pairs.csv", "w", encoding="utf-8", newline="\n") as fh:
        fh.write("loop_a,loop_b\n")
        fh.writelines(f"{a},{b}\n" for a, b in ex.pairs)
    if plot:
        from nlc.dataset_builder.extraction.plot import plot_extraction

        plot_extraction(folder / "extraction.png", ex, title=summary["song_id"], threshold=config.pair_threshold)
    with open(folder / "summary.json", "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2)
        fh.write("\n")


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
    path = Path(audio_path)
    out = Path(out_dir)
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
    with atomic_dir(out / song_id) as tmp:
        clock = StepClock(timings, cpu_timings)
        _write_song(tmp, ex, summary, config=config, plot=plot)
        clock.lap("write")
        for steps in (timings, cpu_timings):
            steps["total"] = round(sum(steps.values()), 4)
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
    return summary
