"""The benchmark's result file: a versioned, validated pydantic schema, JSON on disk.

A result file holds everything needed to recompute every figure it reports (MTEB-style:
results are pinned to the protocol's version and hash and the dataset's fingerprint):
the per-item classification scores, and for each ranking query the candidate ids in
protocol order with all their scores and the target's rank. :func:`load_results`
validates the schema, checks every stored rank against its scores, and by default
refuses a file whose reported figures differ from those recomputed from its items
(:func:`recompute_metrics`), so an edited number cannot reach the leaderboard.

Fields that legitimately differ between two runs of the same model on the same data
with the same seed are all inside :attr:`BenchmarkResults.timing`; everything else is
identical (the tests check it).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nlc.atomic import write_text
from nlc.benchmark import figures, metrics
from nlc.errors import InputError, IntegrityError

SCHEMA_VERSION: Literal["1.0"] = "1.0"
"""Version of this schema; bumped on any change a reader must know about."""
FIGURE_TOLERANCE: float = 1e-9
"""Largest absolute difference between a stored and a recomputed figure."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Strict):
    """A two-sided bootstrap confidence interval."""

    low: float
    high: float


class Metrics(_Strict):
    """Table 2's figures (paper section 5.1) plus accuracy per protocol method."""

    accuracy: float = Field(description="classification accuracy at THRESHOLD")
    f1: float = Field(description="F1 of the compatible class at THRESHOLD")
    roc_auc: float = Field(description="threshold-free ROC-AUC")
    average_rank: float = Field(description="mean rank of the true target, 1 = best, ties pessimistic")
    top10: float
    top30: float
    top50: float
    method_accuracy: dict[str, float] = Field(description="accuracy per method (positive + each negative)")

    @property
    def main_score(self) -> float:
        """The benchmark's headline figure: the ROC-AUC of the classification task.

        Derived from :data:`nlc.benchmark.metrics.MAIN_SCORE`, not stored. ROC-AUC is chosen
        because it is threshold-free: accuracy and F1 depend on the ``THRESHOLD`` each
        submission picks, so they mix how well a model orders pairs with how well its
        author calibrated one cut-off. It does not depend on the class balance either
        (0.5 is chance whatever the share of positives). Every submission is scored on
        the classification task the same way, whereas its ranking comes from ``score``
        or from embedding distances, and the ranking figures depend on the number of
        candidates per query (the average rank's scale; top-k saturates when there are
        fewer candidates than k). Higher is better.
        """
        return float(getattr(self, metrics.MAIN_SCORE))

    @property
    def higher_is_better(self) -> dict[str, bool]:
        """Direction of each figure, by key (from :data:`nlc.benchmark.metrics.METRIC_TABLE`).

        Every figure is higher-is-better except ``average_rank`` (1 = best); the
        per-method accuracies are accuracies, so higher is better too.
        """
        return {m.key: m.higher_is_better for m in metrics.METRIC_TABLE}


class Intervals(_Strict):
    """Seeded percentile-bootstrap intervals of every figure of :class:`Metrics`."""

    confidence: float
    n_resamples: int
    seed: int
    accuracy: Interval
    f1: Interval
    roc_auc: Interval
    average_rank: Interval
    top10: Interval
    top30: Interval
    top50: Interval
    method_accuracy: dict[str, Interval]


class ClassificationItem(_Strict):
    """One scored pair of the classification protocol."""

    item_id: str
    query_id: str
    candidate_id: str
    method: str
    label: Literal[0, 1]
    score: float


class RankingQuery(_Strict):
    """One ranking query: all candidates in protocol order, their scores, the target's rank."""

    query_id: str
    target_id: str
    candidate_ids: list[str]
    scores: list[float]
    target_rank: int = Field(ge=1, description="1 = best; ties broken pessimistically")

    @model_validator(mode="after")
    def _consistent(self) -> RankingQuery:
        if len(self.candidate_ids) != len(self.scores):
            raise InputError(f"query {self.query_id}: {len(self.candidate_ids)} candidates but {len(self.scores)} scores")
        if self.target_id not in self.candidate_ids:
            raise InputError(f"query {self.query_id}: target {self.target_id} is not among its candidates")
        if len(set(self.candidate_ids)) != len(self.candidate_ids):
            seen: set[str] = set()
            for c in self.candidate_ids:
                if c in seen:
                    raise InputError(f"query {self.query_id}: candidate {c} appears more than once")
                seen.add(c)
        rank = metrics.target_rank(np.asarray(self.scores), self.candidate_ids.index(self.target_id))
        if rank != self.target_rank:
            raise InputError(f"query {self.query_id}: stored target_rank {self.target_rank}, its scores give {rank}")
        return self


class ModelInfo(_Strict):
    name: str = Field(description="submission file stem")
    file: str = Field(description="submission file name")
    sha256: str = Field(description="SHA-256 of the submission file (what the leaderboard verifies)")
    folder_sha256: str | None = Field(
        default=None,
        description="nlc.provenance.folder_sha256 of the submission's folder (None in files written before it)",
    )
    threshold: float
    ranking_by: Literal["embed", "score"] = Field(
        description="'embed': ranking scores are minus the Euclidean distance of embeddings"
    )


class DatasetInfo(_Strict):
    protocol_version: str
    content_hash: str
    dataset_fingerprint: str
    n_classification: int
    n_queries: int
    n_candidates: int


class RunInfo(_Strict):
    seed: int
    device: str
    batch_size: int
    package_versions: dict[str, str]


class Timing(_Strict):
    """The only fields allowed to differ between two identical runs."""

    created: str = Field(description="ISO 8601 UTC time the file was written")
    wall_time_s: float = Field(description="seconds from start of the run to writing the file")
    stages_s: dict[str, float] = Field(default_factory=dict, description="seconds per stage")


class BenchmarkResults(_Strict):
    """One model's full benchmark run."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    model: ModelInfo
    dataset: DatasetInfo
    run: RunInfo
    metrics: Metrics
    intervals: Intervals
    classification: list[ClassificationItem]
    ranking: list[RankingQuery]
    timing: Timing

    @model_validator(mode="after")
    def _counts(self) -> BenchmarkResults:
        if len(self.classification) != self.dataset.n_classification:
            raise InputError(f"{len(self.classification)} classification items, dataset says {self.dataset.n_classification}")
        if len(self.ranking) != self.dataset.n_queries:
            raise InputError(f"{len(self.ranking)} ranking queries, dataset says {self.dataset.n_queries}")
        return self

    @property
    def main_score(self) -> float:
        """The headline figure, ROC-AUC (see :attr:`Metrics.main_score`)."""
        return self.metrics.main_score


def _arrays(results: BenchmarkResults) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    labels = np.array([c.label for c in results.classification], dtype=np.int64)
    scores = np.array([c.score for c in results.classification], dtype=np.float64)
    methods = [c.method for c in results.classification]
    ranks = np.array(
        [metrics.target_rank(np.asarray(q.scores), q.candidate_ids.index(q.target_id)) for q in results.ranking],
        dtype=np.int64,
    )
    return labels, scores, methods, ranks


def compute_metrics(
    labels: np.ndarray, scores: np.ndarray, methods: list[str], ranks: np.ndarray, *, threshold: float
) -> Metrics:
    """Point figures from per-item arrays (see :mod:`nlc.benchmark.figures`)."""
    cls, per_method = figures.classification_figures(labels, scores, methods, threshold=threshold)
    return Metrics(**cls, **figures.ranking_figures(ranks), method_accuracy=per_method)


def compute_intervals(
    labels: np.ndarray, scores: np.ndarray, methods: list[str], ranks: np.ndarray,
    *, threshold: float, n_resamples: int, confidence: float, seed: int,
) -> Intervals:
    """Bootstrap intervals from per-item arrays, seeded (see :mod:`nlc.benchmark.figures`)."""
    cls, per_method = figures.classification_intervals(
        labels, scores, methods, threshold=threshold, n_resamples=n_resamples, confidence=confidence, seed=seed
    )
    rank = figures.ranking_intervals(ranks, n_resamples=n_resamples, confidence=confidence, seed=seed)
    pairs = {k: Interval(low=lo, high=hi) for k, (lo, hi) in {**cls, **rank}.items()}
    return Intervals(
        n_resamples=n_resamples, confidence=confidence, seed=seed, **pairs,
        method_accuracy={k: Interval(low=lo, high=hi) for k, (lo, hi) in per_method.items()},
    )


@overload
def recompute_metrics(results: BenchmarkResults, *, intervals: Literal[False] = ...) -> Metrics: ...
@overload
def recompute_metrics(results: BenchmarkResults, *, intervals: Literal[True]) -> tuple[Metrics, Intervals]: ...
@overload
def recompute_metrics(results: BenchmarkResults, *, intervals: bool) -> Metrics | tuple[Metrics, Intervals]: ...
def recompute_metrics(results: BenchmarkResults, *, intervals: bool = False) -> Metrics | tuple[Metrics, Intervals]:
    """Recompute every figure from the per-item outputs stored in ``results``.

    Ranks are recomputed from the stored candidate scores, not read from
    ``target_rank``. With ``intervals=True`` also recompute the bootstrap intervals with
    the stored seed and settings and return ``(metrics, intervals)``.
    """
    labels, scores, methods, ranks = _arrays(results)
    point = compute_metrics(labels, scores, methods, ranks, threshold=results.model.threshold)
    if not intervals:
        return point
    ci = compute_intervals(
        labels, scores, methods, ranks, threshold=results.model.threshold,
        n_resamples=results.intervals.n_resamples, confidence=results.intervals.confidence,
        seed=results.intervals.seed,
    )
    return point, ci


def _differences(stored: dict[str, Any], fresh: dict[str, Any], prefix: str) -> list[str]:
    out: list[str] = []
    for key in sorted(set(stored) | set(fresh)):
        a, b = stored.get(key), fresh.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            out += _differences(a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}, f"{prefix}{key}.")
        elif not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not math.isclose(
            a, b, rel_tol=0.0, abs_tol=FIGURE_TOLERANCE
        ):
            out.append(f"{prefix}{key} (stored {a}, recomputed {b})")
    return out


def figure_differences(results: BenchmarkResults, *, intervals: bool = False) -> list[str]:
    """Every stored figure that its recomputation from the per-item outputs does not give.

    Each entry is ``"metrics.NAME (stored A, recomputed B)"`` (``intervals.NAME...`` too
    with ``intervals=True``), sorted by name; a figure agrees within
    :data:`FIGURE_TOLERANCE`. The one comparison behind ``load_results`` and the
    leaderboard's checks. Raises :class:`InputError` when the per-item outputs themselves
    are unusable (NaN scores, one class only).
    """
    if intervals:
        point, ci = recompute_metrics(results, intervals=True)
        later = _differences(results.intervals.model_dump(), ci.model_dump(), "intervals.")
    else:
        point, later = recompute_metrics(results), []
    return _differences(results.metrics.model_dump(), point.model_dump(), "metrics.") + later


def check_metrics(results: BenchmarkResults, *, intervals: bool = False) -> None:
    """Raise :class:`IntegrityError` if a stored figure differs from its recomputation."""
    diffs = figure_differences(results, intervals=intervals)
    if diffs:
        raise IntegrityError(f"{results.model.name}: figures do not match its per-item outputs ({diffs[0]})")


def save_results(results: BenchmarkResults, path: str | os.PathLike[str]) -> Path:
    """Write ``results`` as indented JSON, atomically (through :mod:`nlc.atomic`)."""
    return write_text(path, results.model_dump_json(indent=1) + "\n")


def load_results(path: str | os.PathLike[str], *, verify: bool = True) -> BenchmarkResults:
    """Read and validate a result file.

    Parameters
    ----------
    path : path-like
        A JSON file written by :func:`save_results`.
    verify : bool, default True
        Also recompute the point figures from the per-item outputs and refuse the file if
        any differs (:func:`check_metrics`).

    Raises
    ------
    InputError
        Unreadable JSON, an unknown ``schema_version`` or a schema violation (one line).
    IntegrityError
        A stored figure or rank that its per-item outputs do not support.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON result file ({exc})") from exc
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version != SCHEMA_VERSION:
        raise InputError(f"{path}: schema_version {version!r}, this nlc-bench reads {SCHEMA_VERSION!r}")
    try:
        results = BenchmarkResults.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise InputError(f"{path}: invalid result file at {where}: {err['msg']}") from exc
    if verify:
        try:
            check_metrics(results)
        except InputError as exc:  # per-item outputs the metrics reject (NaN scores, one class only)
            raise InputError(f"{path}: {exc}") from exc
    return results
