"""``nlc-bench dataset build``: a parallel, resumable build of ``nlc-loops/`` on Dask.

Songs are independent, so the build maps :func:`~nlc.dataset_builder.build.song_task.process_song`
over them with ``dask.distributed``: a :class:`~distributed.LocalCluster` of worker
processes by default, or an existing scheduler (``tcp://HOST:PORT``) to spread a full FMA
build over a cluster (workers must see the corpus at the same path; only the client
writes, so the work and output folders need only be on the client's disk).

Resuming: each finished or failed song is recorded atomically in the work folder
(:mod:`~nlc.dataset_builder.build.workdir`) the moment its result arrives. A re-run skips
recorded songs, so a build killed at any moment loses at most the songs in flight, and
since the release is computed from the records alone
(:func:`~nlc.dataset_builder.build.assemble.assemble`), it ends byte-identical to an
uninterrupted build.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from nlc.errors import InputError
from nlc.provenance import source_fingerprint

from nlc.dataset_builder.fma_metadata import HIPHOP_GENRE_ID
from nlc.dataset_builder.build.ingest import IngestResult, ingest
from nlc.dataset_builder.build.workdir import CODE_KEY, WorkDir, default_work_dir

RECORD_CODE: tuple[str, ...] = (
    "nlc.audio", "nlc.spec", "nlc.features", "nlc.loops.layout", "nlc.dataset_builder.extraction",
    "nlc.dataset_builder.build.song_task", "nlc.dataset_builder.roles",
)
"""Modules whose code decides what a per-song record holds (decode, extraction, roles); their
:func:`~nlc.provenance.source_fingerprint` keys the work folder, so a resumed build never
mixes records made by two versions of them."""


@dataclass
class RunStats:
    """Timing of one Dask phase: songs recorded, worker CPU seconds, completion times (s after start)."""

    recorded: int = 0
    cpu_seconds: float = 0.0
    first_done_s: float | None = None
    last_done_s: float | None = None

    @property
    def steady_songs_per_hour(self) -> float | None:
        """Throughput between the first and the last completion (worker start-up excluded)."""
        if self.recorded < 2 or self.last_done_s is None or self.first_done_s is None:
            return None
        span = self.last_done_s - self.first_done_s
        return (self.recorded - 1) / span * 3600 if span > 0 else None


@dataclass
class BuildResult:
    """What a build run did: songs processed now, in total, failed; the release info if written."""

    processed_now: int
    done: int
    failed: int
    pending: int
    seconds: float
    info: dict[str, Any] | None
    song_seconds: float = 0.0
    """Wall time of the Dask phase alone (cluster start-up included), in seconds."""
    run: RunStats | None = None

    @property
    def complete(self) -> bool:
        return self.pending == 0 and self.info is not None


def _client(workers: int, scheduler: str | None):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    if workers < 1:
        raise InputError(f"--workers must be >= 1, got {workers}")
    import dask

    # Dask spawns workers with MALLOC_TRIM_THRESHOLD_=65536 (its "pre-spawn-environ", to hand
    # freed memory back to the OS). Setting it also freezes glibc's mmap threshold, so every
    # array over 128 KiB of a song (spectrograms, STFT frames, masks) is a fresh mmap whose
    # pages fault in one by one and are unmapped again: ~170k page faults a song, 0.3 CPU s of
    # 1.5 (measured: 1.55 -> 1.28 CPU s/song, sys 0.40 -> 0.02 s/song). None unsets it (Dask's
    # documented way), leaving glibc's defaults; the extraction needs < 1 GB a worker. The
    # OMP/MKL/OpenBLAS one-thread settings of the same dict are kept: the songs' matrices are
    # tiny and extra BLAS threads only spin (see pipeline.single_threaded). A variable set in
    # the environment still wins. Malloc settings never change any result.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_songs(work: WorkDir, songs: list[dict[str, Any]], *, config: Any, workers: int = 2,
              scheduler: str | None = None, progress: bool = True, already: int = 0,
              total: int | None = None) -> RunStats:
    """Process ``songs`` on Dask and record each result as it arrives; returns what it did.

    Results are recorded in completion order (which varies between runs); nothing
    downstream depends on that order. A worker that dies on a song (crash, out of
    memory) makes Dask raise KilledWorker for that future; the song is then recorded as
    failed. Any other exception is a bug of the task machinery and stops the build (every
    song recorded so far is kept).
    """
    from dask.distributed import KilledWorker, as_completed
    from tqdm.auto import tqdm

    from nlc.dataset_builder.build.song_task import process_song

    stats = RunStats()
    if not songs:
        return stats
    start = time.perf_counter()
    client, cluster = _client(workers, scheduler)
    failed = len(work.failures())
    bar = tqdm(total=total or len(songs), initial=already, unit="song", disable=not progress,
               desc="songs", dynamic_ncols=True)
    bar.set_postfix(failed=failed)
    try:
        futures = client.map(process_song, songs, config=config, key=[f"song-{s['song_id']}" for s in songs],
                             pure=False, retries=0)
        for future in as_completed(futures):
            song_id = future.key.split("-", 1)[1] if isinstance(future.key, str) else str(future.key)
            try:
                result = future.result()
            except KilledWorker as exc:  # the song killed its worker (crash, out of memory)
                result = {"song_id": song_id, "ok": False, "reason": f"worker failed: {type(exc).__name__}: {exc}"}
            future.release()
            if result["ok"]:
                work.store_song(result["song_id"], result["files"], roles=result["roles"])
            else:
                work.store_failure(result["song_id"], result["reason"])
                failed += 1
            now = time.perf_counter() - start
            stats.recorded += 1
            stats.cpu_seconds += float(result.get("cpu_seconds", 0.0))
            stats.first_done_s = now if stats.first_done_s is None else stats.first_done_s
            stats.last_done_s = now
            bar.update(1)
            bar.set_postfix(failed=failed)
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    return stats


def corpus_entry(corpus: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``corpus`` entry of ``build_report.json``: the folder name, its kind and provenance.

    ``{"name": folder name, "kind": "fma" | "synthetic" | "lmms", ...}``: the corpus'
    ``corpus.json`` (written by ``nlc-bench corpus synth|lmms``) merged in, or kind ``fma``
    for a folder without one. The dataset card reads it to say where the audio comes from,
    so a synthetic or lmms build is never presented as FMA music. It names no local path
    and holds no time, so the report stays byte-identical between runs.
    """
    from nlc.dataset_builder.corpus.synth import read_corpus_record

    root = Path(corpus)
    return {**read_corpus_record(root), "name": root.name or root.resolve().name}


def _relative(reason: str, prefixes: list[str]) -> str:
    """A failure reason with corpus paths made relative (the report names no local folders)."""
    for prefix in prefixes:
        reason = reason.replace(prefix, "")
    return reason


def corpus_song_truth(corpus: str | os.PathLike[str], song_ids: list[str]) -> dict[str, dict[str, Any]] | None:
    """What a ground-truth corpus knows of each song, for the release's ``truth.json``.

    ``{song_id: {"tempo": BPM, "key": "D major"}}`` (``key`` only where the corpus states one)
    from ``ground_truth/<id>/truth.json``; None for a corpus without ground truth (FMA).
    The benchmark's validity ladder scores an oracle from it (:mod:`nlc.benchmark.ladder`).
    """
    from nlc.dataset_builder.corpus.truth import read_truth
    from nlc.loops.layout import key_name

    root = Path(corpus) / "ground_truth"
    if not root.is_dir():
        return None
    out: dict[str, dict[str, Any]] = {}
    for song_id in song_ids:
        if not (root / song_id / "truth.json").is_file():
            continue
        truth = read_truth(root / song_id)
        entry: dict[str, Any] = {"tempo": float(truth["tempo"])}
        key = truth.get("key")
        if isinstance(key, dict) and "root" in key and "mode" in key:
            entry["key"] = key_name(int(key["root"]), str(key["mode"]))
        out[song_id] = entry
    return out or None


def build_dataset(corpus: str | os.PathLike[str], out: str | os.PathLike[str], *,
                  work_dir: str | os.PathLike[str] | None = None, workers: int = 2, scheduler: str | None = None,
                  seed: int = 0, n_test: int = 100, genre_id: int | None = HIPHOP_GENRE_ID, config: Any = None,
                  max_songs: int | None = None, retry_failed: bool = False, progress: bool = True) -> BuildResult:
    """Build (or resume building) the dataset folder ``out`` from a corpus folder.

    Parameters
    ----------
    corpus : path-like
        FMA-shaped corpus (``fma_metadata/tracks.csv``, ``fma_full/``, ``fma_large/``).
    out : path-like
        Dataset folder to write (``nlc-loops/``).
    work_dir : path-like or None
        Work folder of per-song records (None: ``<out>.work`` beside ``out``). Keep it to
        resume; delete it to start afresh.
    workers : int, default 2
        Local worker processes (ignored with ``scheduler``).
    scheduler : str or None
        Address of a running ``dask.distributed`` scheduler, e.g. ``tcp://10.0.0.1:8786``.
    seed : int, default 0
        Seed of the splits and the frozen negatives (extraction has its own, in ``config``).
    n_test : int, default 100
        Requested test pairs (one per song; fewer for small corpora).
    genre_id : int or None, default 21
        FMA genre required in ``genres_all`` (Hip-Hop); None takes every track.
    config : ExtractionConfig or None
        Extraction settings (None: defaults). A work folder remembers them and refuses others.
    max_songs : int or None
        Process at most this many new songs in this run, then stop without releasing
        (for time-limited jobs; re-run to continue).
    retry_failed : bool, default False
        Forget recorded failures and process those songs again.
    progress : bool, default True
        Show a tqdm bar (songs done, failed, ETA).
    """
    from nlc.dataset_builder.build.assemble import assemble
    from nlc.dataset_builder.extraction import ExtractionConfig
    from nlc.dataset_builder.extraction.pipeline import require_beat_tracker

    started = time.perf_counter()
    config = ExtractionConfig() if config is None else config
    require_beat_tracker(config)
    found: IngestResult = ingest(corpus, genre_id=genre_id)
    work = WorkDir(default_work_dir(out) if work_dir is None else work_dir)
    settings = {"extraction": config.as_dict(), "genre_id": genre_id, CODE_KEY: source_fingerprint(RECORD_CODE)}
    stale = work.prepare(settings)
    if stale:
        logging.getLogger(__name__).warning(
            "%s: the extraction code changed since this work folder was made; its %d song records "
            "were discarded and are processed again", work.root, stale)
    if retry_failed:
        work.forget_failures()
    songs = cast(list[dict[str, Any]], found.songs.to_dict("records"))  # pandas types record keys as Hashable
    done_before = work.done_ids()
    pending = [s for s in songs if s["song_id"] not in done_before]
    batch = pending if max_songs is None else pending[:max_songs]
    song_start = time.perf_counter()
    stats = run_songs(work, batch, config=config, workers=workers, scheduler=scheduler, progress=progress,
                         already=len(songs) - len(pending), total=len(songs))
    song_seconds = time.perf_counter() - song_start
    wanted = {s["song_id"] for s in songs}
    done = work.done_ids() & wanted
    prefixes = sorted({f"{Path(corpus)}{os.sep}", f"{Path(corpus).resolve()}{os.sep}"}, key=len, reverse=True)
    failures = {k: _relative(v, prefixes) for k, v in work.failures().items() if k in wanted}
    left = len(wanted - done)
    info = None
    if left == 0:
        report = {
            "corpus": corpus_entry(corpus),
            "ingest": found.report(),
            "songs": {"processed": len(done), "extracted": len(done) - len(failures), "failed": len(failures)},
            "failed": failures,
            "extraction": settings["extraction"],
            "code_fingerprint": settings[CODE_KEY],
        }
        info = assemble(work, found.songs, out, seed=seed, n_test=n_test, report=report,
                        truth=corpus_song_truth(corpus, sorted(done)))
    return BuildResult(processed_now=stats.recorded, done=len(done), failed=len(failures), pending=left,
                       seconds=time.perf_counter() - started, info=info, song_seconds=song_seconds,
                       run=stats)
