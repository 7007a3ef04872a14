"""``nlc-bench run``: one model file in, one validated result file out.

The run validates the submission first (:mod:`nlc.benchmark.validate`), scores the frozen
classification and ranking tables (:mod:`nlc.benchmark.scoring`), computes every figure
and its bootstrap interval (:mod:`nlc.benchmark.figures`) and returns a
:class:`~nlc.benchmark.results.BenchmarkResults`. Nothing is written unless everything
succeeded. Before ``load_model()`` is called the run seeds Python's, numpy's and torch's
global generators with ``seed`` and sets the environment variable ``NLC_DEVICE`` to the
requested device, which a submission may read to place its model.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd

from nlc.benchmark import results as R
from nlc.benchmark.bootstrap import CONFIDENCE, N_RESAMPLES
from nlc.benchmark.metrics import target_rank
from nlc.benchmark.scoring import DEFAULT_BATCH_SIZE, AudioFn, check_nonempty, rank_queries, score_pairs
from nlc.benchmark.validate import validate_loaded
from nlc.errors import InputError
from nlc.provenance import file_sha256, folder_sha256, package_versions
from nlc.protocol import DEVICE_ENV, LoadedSubmission, load_submission, seed_everything
from nlc.sandbox import SandboxLimits, open_sandboxed



@dataclass(frozen=True)
class ProtocolData:
    """What a run needs from a dataset: its identity, both protocol tables, loop audio."""

    protocol_version: str
    content_hash: str
    dataset_fingerprint: str
    classification: pd.DataFrame
    ranking: pd.DataFrame
    audio_fn: AudioFn
    folder: Path | None = None
    """The dataset folder, kept out of a sandboxed submission's sight; None for generated data."""


def open_protocol(path: str | os.PathLike[str]) -> ProtocolData:
    """Open an ``nlc-loops/`` folder (shards and protocol hash checked)."""
    from nlc.loops.reader import open_dataset

    ds = open_dataset(path)
    return ProtocolData(
        protocol_version=str(ds.info.protocol_version), content_hash=ds.info.content_hash,
        dataset_fingerprint=ds.info.dataset_fingerprint, classification=ds.classification(),
        ranking=ds.ranking(), audio_fn=ds.loop_audio, folder=Path(path).resolve(),
    )


def check_device(device: str) -> None:
    """Refuse a device this machine does not have before any model is loaded."""
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise InputError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise InputError(f"--device {device} asked for, but torch sees no CUDA device on this machine")


def model_name(path: Path) -> str:
    """Display name of a submission file: its stem, or its folder's name for ``submission.py``."""
    return path.parent.name if path.stem == "submission" else path.stem


def run_benchmark(
    submission: str | os.PathLike[str],
    data: ProtocolData,
    *,
    seed: int = 0,
    device: str = "cpu",
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
    progress: bool = False,
    name: str | None = None,
    log: Callable[[str], None] = lambda _: None,
    sandbox: SandboxLimits | None = None,
    hide: Sequence[str | os.PathLike[str]] = (),
) -> R.BenchmarkResults:
    """Validate, score and evaluate one submission on the frozen protocol.

    Parameters
    ----------
    submission : path-like
        The model's ``.py`` file (see :mod:`nlc.protocol`).
    data : ProtocolData
        From :func:`open_protocol` (or built in memory, as ``bench/`` does).
    seed : int, default 0
        Seeds the global generators before ``load_model()`` and the bootstrap.
    device : str, default "cpu"
        Exported as ``NLC_DEVICE`` for the submission; recorded in the results.
    batch_size : int, default 64
        Pairs (or loops, for ``embed``) per call to the submission.
    n_resamples : int, default 1000
        Bootstrap resamples per interval.
    confidence : float, default 0.95
        Level of the bootstrap intervals.
    progress : bool, default False
        Show tqdm progress bars on stderr.
    name : str or None, default None
        Model name in the results; by default the file's stem, or its folder's name for a
        file called ``submission.py`` (a trained run folder, ``runs/NAME/submission.py``).
    log : callable, default no-op
        Receives one line per stage (the CLI prints them on stderr).
    sandbox : SandboxLimits or None, default None
        Run the submission in a sandbox with these limits (:mod:`nlc.sandbox`): it is handed
        the audio of each batch and never sees the dataset; None runs it in this process.
    hide : sequence of path-like, default ()
        More folders a sandboxed submission must not see (a leaderboard), besides the dataset.

    Raises
    ------
    SubmissionError
        The submission breaks the protocol (on generated audio or on real data), or a limit.
    InputError
        Empty or malformed protocol tables.
    """
    start = time.perf_counter()
    check_nonempty(data.classification, data.ranking, "dataset")
    check_device(device)
    path = Path(submission).resolve()
    if sandbox is not None:
        hidden = [*hide, *([data.folder] if data.folder is not None else [])]
        with open_sandboxed(path, seed=seed, device=device, limits=sandbox, hide=hidden) as boxed:
            return evaluate_loaded(boxed, path, data, start=start, seed=seed, device=device, batch_size=batch_size,
                             n_resamples=n_resamples, confidence=confidence, progress=progress, name=name, log=log)
    os.environ[DEVICE_ENV] = device
    seed_everything(seed)
    return evaluate_loaded(load_submission(path), path, data, start=start, seed=seed, device=device, batch_size=batch_size,
                     n_resamples=n_resamples, confidence=confidence, progress=progress, name=name, log=log)


def evaluate_loaded(
    sub: LoadedSubmission, path: Path, data: ProtocolData, *, start: float, seed: int, device: str = "cpu",
    batch_size: int = DEFAULT_BATCH_SIZE, n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE,
    progress: bool = False, name: str | None = None, log: Callable[[str], None] = lambda _: None,
) -> R.BenchmarkResults:
    """Everything after loading: validate, score both tables, compute figures, assemble the results.

    :func:`run_benchmark` calls it on a loaded (or sandboxed) submission file; the validity
    ladder (:mod:`nlc.benchmark.ladder`) calls it on references built in this process, so
    every rung goes through the same validation, scoring and statistics. ``path`` is the
    file recorded as the model; ``start`` is the ``time.perf_counter()`` the wall time counts from.
    """
    stages: dict[str, float] = {}
    report = validate_loaded(sub, seed=seed)
    log(report.summary())
    stages["load_and_validate"] = time.perf_counter() - start

    tick = time.perf_counter()
    cls = data.classification
    scores = score_pairs(sub, cls, data.audio_fn, batch_size=batch_size, progress=progress, desc="classification")
    stages["classification"] = time.perf_counter() - tick
    log(f"classification: {len(cls)} pairs scored in {stages['classification']:.1f} s")

    tick = time.perf_counter()
    ranked = rank_queries(sub, data.ranking, data.audio_fn, batch_size=batch_size, progress=progress)
    stages["ranking"] = time.perf_counter() - tick
    log(f"ranking: {len(ranked)} queries x {max(len(q.candidate_ids) for q in ranked)} candidates "
        f"ranked in {stages['ranking']:.1f} s")

    tick = time.perf_counter()
    cls_items = [
        R.ClassificationItem(item_id=str(i), query_id=str(q), candidate_id=str(c), method=str(m),
                             label=cast(Literal[0, 1], int(lab)), score=float(s))  # protocol labels are 0/1
        for i, q, c, m, lab, s in zip(cls["item_id"], cls["query_id"], cls["candidate_id"], cls["method"], cls["label"], scores)
    ]
    rank_items = [
        R.RankingQuery(
            query_id=q.query_id, target_id=q.target_id, candidate_ids=q.candidate_ids,
            scores=[float(v) for v in q.scores],
            target_rank=target_rank(q.scores, q.candidate_ids.index(q.target_id)),
        )
        for q in ranked
    ]
    labels = cls["label"].to_numpy(dtype=np.int64)
    methods = [str(m) for m in cls["method"]]
    ranks = np.array([q.target_rank for q in rank_items], dtype=np.int64)
    metrics = R.compute_metrics(labels, scores, methods, ranks, threshold=sub.threshold)
    intervals = R.compute_intervals(
        labels, scores, methods, ranks, threshold=sub.threshold,
        n_resamples=n_resamples, confidence=confidence, seed=seed,
    )
    stages["metrics"] = time.perf_counter() - tick
    return R.BenchmarkResults(
        model=R.ModelInfo(
            name=name or model_name(path), file=path.name, sha256=file_sha256(path),
            folder_sha256=folder_sha256(path.parent), threshold=sub.threshold,
            ranking_by="embed" if sub.has_embed else "score",
        ),
        dataset=R.DatasetInfo(
            protocol_version=data.protocol_version, content_hash=data.content_hash,
            dataset_fingerprint=data.dataset_fingerprint, n_classification=len(cls_items),
            n_queries=len(rank_items), n_candidates=max(len(q.candidate_ids) for q in rank_items),
        ),
        run=R.RunInfo(seed=seed, device=device, batch_size=batch_size, package_versions=package_versions()),
        metrics=metrics, intervals=intervals, classification=cls_items, ranking=rank_items,
        timing=R.Timing(
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            wall_time_s=time.perf_counter() - start, stages_s=stages,
        ),
    )
