"""Corpus A: render the synthetic loop-music corpus into an FMA-shaped folder.

``build_synth_corpus(out, n_songs=100, seed=0)`` writes, for track ids 1..n_songs::

    out/fma_full/NNN/NNNNNN.wav               the mix (mono, 44.1 kHz, 16-bit)
    out/ground_truth/NNNNNN/truth.json        tempo, downbeats, loops, layout
    out/ground_truth/NNNNNN/stems/<loop>.wav  one stem per loop, same gain as the mix
    out/fma_metadata/tracks.csv               FMA's header, genre Hip-Hop
    out/corpus_report.json                    songs done / skipped / failed, seconds
    out/corpus.json                           what the corpus is (kind, generator version, seed, songs)

``corpus.json`` is the corpus' provenance record, shared by every corpus writer
(:func:`write_corpus_record`; the lmms corpus writes one too) and read by ``dataset build``
(:func:`read_corpus_record`) into its build report, so the dataset card can say where the
audio comes from. Unlike ``corpus_report.json`` it holds no times: the same corpus gives
the same bytes, and so does every build report made from it. A folder without it is an
FMA download.

A song's ground-truth folder is assembled under a temporary name and renamed when its
mix is on disk, so a song counts as finished exactly when ``truth.json`` exists; a re-run
skips finished songs and renders the rest. Same seed, same bytes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from nlc.atomic import atomic_dir, write_json
from nlc.audio import write_wav
from nlc.dataset_builder.corpus.synth_meta import synth_row
from nlc.dataset_builder.corpus.synth_song import SongPlan, plan_song, render_song
from nlc.dataset_builder.corpus.truth import truth_dir, write_truth
from nlc.dataset_builder.fma_metadata import TRACKS_CSV, audio_path, write_tracks_csv
from nlc.errors import InputError
from nlc.provenance import source_fingerprint
from nlc.spec import SAMPLE_RATE

CORPUS_JSON = "corpus.json"
"""Provenance record of a generated corpus, in its root (absent from an FMA download)."""
CORPUS_KINDS: tuple[str, ...] = ("fma", "synthetic", "lmms")
"""Kinds of corpus a build can come from; ``fma`` is any folder without :data:`CORPUS_JSON`."""
SYNTH_CODE: tuple[str, ...] = (
    "nlc.spec", "nlc.audio", "nlc.dataset_builder.fma_metadata", "nlc.dataset_builder.corpus.fma_license_strings",
    "nlc.dataset_builder.corpus.synth", "nlc.dataset_builder.corpus.synth_layout",
    "nlc.dataset_builder.corpus.synth_loops", "nlc.dataset_builder.corpus.synth_meta",
    "nlc.dataset_builder.corpus.synth_song", "nlc.dataset_builder.corpus.synth_voices",
)
"""Modules whose code decides a synthetic song's bytes; their source fingerprint is the
generator's exact version (the package version does not change with every edit)."""


def write_corpus_record(out: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Write ``out/corpus.json`` (atomically, sorted keys) for a corpus of ``record["kind"]``.

    Raises
    ------
    InputError
        If the kind is not a generated corpus kind (an FMA download has no record).
    """
    if record.get("kind") not in CORPUS_KINDS[1:]:
        raise InputError(f"corpus record kind {record.get('kind')!r} is not one of {list(CORPUS_KINDS[1:])}")
    return write_json(Path(out) / CORPUS_JSON, record)


def read_corpus_record(root: str | os.PathLike[str]) -> dict[str, Any]:
    """The provenance record of the corpus folder ``root``: ``{"kind": "fma"}`` when it has none.

    Raises
    ------
    InputError
        If ``corpus.json`` is unreadable, not a JSON object, or names an unknown kind: a build
        must not guess where its audio comes from.
    """
    path = Path(root) / CORPUS_JSON
    if not path.is_file():
        return {"kind": "fma"}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable corpus record ({exc}); delete it only if the corpus is an FMA "
                         "download, else re-run the `nlc-bench corpus` command that wrote it") from exc
    if not isinstance(record, dict) or record.get("kind") not in CORPUS_KINDS[1:]:
        kind = record.get("kind") if isinstance(record, dict) else None
        raise InputError(f"{path}: corpus kind {kind!r} is not one of {list(CORPUS_KINDS[1:])}")
    return record


def _nlc_bench_version() -> str:
    try:
        return metadata.version("nlc-bench")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        return "not installed"


def synth_record(track_ids: list[int], *, seed: int) -> dict[str, Any]:
    """The ``corpus.json`` of a synthetic corpus holding the finished songs ``track_ids``."""
    return {
        "kind": "synthetic", "generator": "nlc-bench corpus synth",
        "generator_version": _nlc_bench_version(),
        "generator_code": source_fingerprint(SYNTH_CODE), "seed": int(seed), "songs": len(track_ids),
        "first_track_id": min(track_ids), "last_track_id": max(track_ids),
    }


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


def _render_song(out: Path, track_id: int, seed: int) -> str | None:
    """Render one song to disk: ``None`` when done, else why it failed (one line; a worker's result).

    libsndfile reports a failed write (a full disk, seen) as ``soundfile.SoundFileError``, a
    RuntimeError, not an OSError; it is the song's failure like any other, not the run's.
    """
    import soundfile

    try:
        render_to_disk(out, track_id, seed=seed)
    except (OSError, ValueError, FloatingPointError, soundfile.SoundFileError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _render_songs(out: Path, track_ids: list[int], *, seed: int, workers: int) -> Iterator[tuple[int, str | None]]:
    """``(track id, why it failed or None)`` for each song as it is rendered, by ``workers`` processes."""
    if workers == 1 or len(track_ids) < 2:
        yield from ((tid, _render_song(out, tid, seed)) for tid in track_ids)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: a fresh interpreter per worker, never a fork of a threaded parent
    with ProcessPoolExecutor(max_workers=min(workers, len(track_ids)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_render_song, out, tid, seed): tid for tid in track_ids}
        yield from ((futures[future], future.result()) for future in as_completed(futures))


def build_synth_corpus(out: str | os.PathLike[str], *, n_songs: int = 100, seed: int = 0, first_track_id: int = 1,
                       workers: int = 1, progress: bool = True) -> dict[str, Any]:
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
    workers : int, default 1
        Processes rendering songs at once. A song depends only on ``(seed, track id)``, so the
        files are the same bytes for any number of workers.
    progress : bool, default True
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The report also written to ``out/corpus_report.json``: ``done``, ``skipped`` (already
        finished), ``failed`` (``{track_id: reason}``), ``seconds`` (wall time), ``audio_seconds``.
        ``out/corpus.json`` records the corpus itself (:func:`synth_record`).
    """
    from tqdm import tqdm

    if n_songs < 1:
        raise InputError(f"--songs must be at least 1, got {n_songs}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = list(range(first_track_id, first_track_id + n_songs))
    report: dict[str, Any] = {"corpus": "synth", "seed": seed, "done": [], "skipped": [], "failed": {}}
    start = time.perf_counter()
    failed: dict[int, str] = {}
    try:
        todo = [tid for tid in ids if not is_done(out, tid, seed=seed)]
        pending = set(todo)
        report["skipped"] = [tid for tid in ids if tid not in pending]
        with tqdm(total=len(ids), initial=len(ids) - len(todo), desc="synth songs", unit="song",
                  disable=not progress) as bar:
            for tid, reason in _render_songs(out, todo, seed=seed, workers=workers):
                if reason is not None:
                    failed[tid] = reason
                bar.update(1)
    finally:
        finished = [t for t in ids if is_done(out, t, seed=seed)]
        skipped = set(report["skipped"])
        report["done"] = [t for t in finished if t not in skipped]
        report["failed"] = {str(t): failed[t] for t in sorted(failed)}
        if finished:
            write_metadata(out, finished, seed=seed)
            write_corpus_record(out, synth_record(finished, seed=seed))
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
