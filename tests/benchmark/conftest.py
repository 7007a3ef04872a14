"""Fixtures of the benchmark tests."""

import numpy as np
import pytest

from nlc.benchmark import results as R
from nlc.benchmark.metrics import target_rank


def _make_results(seed=0, n_pairs=40, n_queries=8, n_cand=8):
    """A valid :class:`BenchmarkResults` with random per-item outputs (figures computed)."""
    rng = np.random.default_rng(seed)
    methods = ["positive"] * (n_pairs // 2) + ["random", "reverse", "shift", "rearrange"] * (n_pairs // 8)
    labels = np.array([int(m == "positive") for m in methods])
    scores = rng.random(n_pairs)
    items = [
        R.ClassificationItem(item_id=f"c{i}", query_id=f"s/{i}", candidate_id=f"t/{i}", method=m, label=int(lab), score=float(s))
        for i, (m, lab, s) in enumerate(zip(methods, labels, scores))
    ]
    queries, ranks = [], []
    for q in range(n_queries):
        cands = [f"t/{j}" for j in range(n_cand)]
        sc = rng.random(n_cand).round(2)
        rank = target_rank(sc, q % n_cand)
        ranks.append(rank)
        queries.append(R.RankingQuery(query_id=f"s/{q}", target_id=cands[q % n_cand], candidate_ids=cands, scores=sc.tolist(), target_rank=rank))
    ranks = np.array(ranks)
    metrics = R.compute_metrics(labels, scores, methods, ranks, threshold=0.5)
    ci = R.compute_intervals(labels, scores, methods, ranks, threshold=0.5, n_resamples=200, confidence=0.95, seed=seed)
    return R.BenchmarkResults(
        model=R.ModelInfo(name="m", file="m.py", sha256="0" * 64, threshold=0.5, ranking_by="score"),
        dataset=R.DatasetInfo(protocol_version="1", content_hash="h", dataset_fingerprint="f",
                              n_classification=n_pairs, n_queries=n_queries, n_candidates=n_cand),
        run=R.RunInfo(seed=seed, device="cpu", batch_size=16, package_versions={"numpy": np.__version__}),
        metrics=metrics, intervals=ci, classification=items, ranking=queries,
        timing=R.Timing(created="2026-01-01T00:00:00Z", wall_time_s=1.0),
    )


@pytest.fixture
def make_results():
    return _make_results
