"""Corpus A: render the synthetic loop-music corpus into an FMA-shaped folder.

``build_synth_corpus(out, n_songs=100, seed=0)`` writes, for track ids 1..n_songs::

    out/fma_full/NNN/NNNNNN.wav               the mix (mono, 44.1 kHz, 16-bit)
    out/ground_truth/NNNNNN/truth.json        tempo, downbeats, loops, layout
    out/ground_truth/NNNNNN/stems/<loop>.wav  one stem per loop, same gain as the mix
    out/fma_metadata/tracks.csv               FMA's header, genre Hip-Hop
    out/corpus_report.json                    songs done / skipped / failed, seconds

A song's ground-truth folder is assembled under a temporary name and renamed when its
mix is on disk, so a song counts as finished exactly when ``truth.json`` exists; a re-run
skips finished songs and renders the rest. Same seed, same bytes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from nlc.atomic import atomic_dir
from nlc.audio import write_wav
from nlc.dataset_builder.corpus.synth_meta import synth_row
from nlc.dataset_builder.corpus.synth_song import SongPlan, plan_song, render_song
from nlc.dataset_builder.corpus.truth import truth_dir, write_truth
from nlc.dataset_builder.fma_metadata import TRACKS_CSV, audio_path, write_tracks_csv
from nlc.errors import InputError
from nlc.spec import SAMPLE_RATE


def song_truth(plan: SongPlan) -> dict[str, Any]:
    """The ``truth.json`` content of a planned song (see ``docs/ARCHITECTURE.md``)."""
    bar_s = plan.bar_samples / SAMPLE_RATE
    return {
        "track_id": plan.track_id,
        "corpus": "synth",
        "tempo": float(plan.tempo),
        "time_signature": [4, 4],
        "sample_rate": SAMPLE_RATE,
        "n_bars": plan.n_bars,
        "bar_samples": plan.bar_samples,
        "downbeats": [round(b * bar_s, 6) for b in range(plan.n_bars)],
        "duration": round(plan.n_bars * bar_s, 6),
        "key": {"root": plan.harmony.root, "mode": plan.harmony.mode},
        "swing": round(plan.swing, 4),
        "layout_kind": plan.layout_kind,
        "loops": [
            {"name": kind, "role": role, "stem": f"stems/{kind}.wav", "bars": bars}
            for kind, role, bars in zip(plan.kinds, plan.roles, plan.loop_bars)
        ],
        "layout": plan.layout.astype(int).tolist(),
        "seed": plan.seed,
    }


def is_done(out: Path, track_id: int, *, seed: int) -> bool:
    """A song is finished when its truth (written last) and mix exist and it was made with ``seed``."""
    tfile = truth_dir(out, track_id) / "truth.json"
    if not (tfile.is_file() and audio_path(out, track_id, ext="wav").is_file()):
        return False
    return json.loads(tfile.read_text()).get("seed") == seed


def render_to_disk(out: Path, track_id: int, *, seed: int) -> SongPlan:
    """Render one song and write mix, stems and truth (the truth folder appears last, whole)."""
    plan = plan_song(track_id, seed=seed)
    mix, stems = render_song(plan)
    with atomic_dir(truth_dir(out, track_id)) as tmp:
        for kind, stem in zip(plan.kinds, stems):
            write_wav(tmp / "stems" / f"{kind}.wav", stem)
        write_truth(tmp, song_truth(plan))
        write_wav(audio_path(out, track_id, ext="wav"), mix)
    return plan


def write_metadata(out: Path, track_ids: list[int], *, seed: int) -> Path:
    """(Re)write ``tracks.csv`` for the finished songs, durations read from their truth."""
    rows = {}
    for tid in track_ids:
        truth = json.loads((truth_dir(out, tid) / "truth.json").read_text())
        rows[tid] = synth_row(tid, seed=seed, duration_s=truth["duration"], tempo=int(truth["tempo"]))
    return write_tracks_csv(out / TRACKS_CSV, rows)


def build_synth_corpus(out: str | os.PathLike[str], *, n_songs: int = 100, seed: int = 0, first_track_id: int = 1,
                       progress: bool = True) -> dict[str, Any]:
    """Render ``n_songs`` synthetic songs into ``out`` (resumable; see module docstring).

    Parameters
    ----------
    out : path-like
        Corpus root; created if missing.
    n_songs : int, default 100
        Number of songs (track ids ``first_track_id`` .. ``first_track_id + n_songs - 1``).
    seed : int, default 0
        Corpus seed; song ``t`` depends only on ``(seed, t)``.
    first_track_id : int, default 1
        First track id.
    progress : bool, default True
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The report also written to ``out/corpus_report.json``: ``done``, ``skipped`` (already
        finished), ``failed`` (``{track_id: reason}``), ``seconds`` (wall time), ``audio_seconds``.
    """
    from tqdm import tqdm

    if n_songs < 1:
        raise InputError(f"--songs must be at least 1, got {n_songs}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = list(range(first_track_id, first_track_id + n_songs))
    report: dict[str, Any] = {"corpus": "synth", "seed": seed, "done": [], "skipped": [], "failed": {}}
    start = time.perf_counter()
    try:
        for tid in tqdm(ids, desc="synth songs", unit="song", disable=not progress):
            if is_done(out, tid, seed=seed):
                report["skipped"].append(tid)
                continue
            try:
                render_to_disk(out, tid, seed=seed)
                report["done"].append(tid)
            except (OSError, ValueError, FloatingPointError) as exc:
                report["failed"][str(tid)] = f"{type(exc).__name__}: {exc}"
    finally:
        finished = [t for t in ids if is_done(out, t, seed=seed)]
        if finished:
            write_metadata(out, finished, seed=seed)
        report["seconds"] = round(time.perf_counter() - start, 3)
        report["audio_seconds"] = round(sum(
            json.loads((truth_dir(out, t) / "truth.json").read_text())["duration"] for t in finished), 3)
        report["n_finished"] = len(finished)
        (out / "corpus_report.json").write_text(json.dumps(report, indent=1))
    return report


def layout_matrix(out: str | os.PathLike[str], track_id: int) -> np.ndarray:
    """The (bars x loops) layout of a finished song, as an int8 array."""
    truth = json.loads((truth_dir(out, track_id) / "truth.json").read_text())
    return np.asarray(truth["layout"], dtype=np.int8)
