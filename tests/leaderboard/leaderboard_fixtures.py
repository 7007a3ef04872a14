"""Helpers of the leaderboard tests: protocol tables, result files and boards built from them.

Result files are made with the benchmark's own schema and metric code
(:mod:`nlc.benchmark.results`) from seeded random per-item scores, so every check runs
against files exactly as ``nlc-bench run`` writes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nlc.benchmark import results as R
from nlc.benchmark.metrics import target_rank
from nlc.atomic import write_json
from nlc.leaderboard.board import BOARD_FORMAT, BoardConfig
from nlc.leaderboard.items import protocol_items_digest

PROTOCOL = {"protocol_version": "1.0", "content_hash": "a" * 64, "dataset_fingerprint": "b" * 64}
METHODS = ("random", "selected", "reverse", "shift", "rearrange")


def protocol_tables(n_pos: int = 20, n_queries: int = 10, n_cand: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A frozen-protocol-shaped pair of tables: n_pos positives + n_pos negatives; queries x candidates."""
    rows = []
    for i in range(2 * n_pos):
        method = "positive" if i < n_pos else METHODS[i % len(METHODS)]
        rows.append({"item_id": f"cls-{i:06d}", "query_id": f"000{i % 7}/loop00", "candidate_id": f"000{i % 5}/loop01",
                     "method": method, "label": int(method == "positive")})
    cls = pd.DataFrame(rows)
    rank = pd.DataFrame([
        {"item_id": f"rnk-{q:04d}-{c:03d}", "query_id": f"q{q:03d}/loop00", "candidate_id": f"t{c:03d}/loop01",
         "label": int(c == q % n_cand)}
        for q in range(n_queries) for c in range(n_cand)
    ])
    return cls, rank


def results_for(cls: pd.DataFrame, rank: pd.DataFrame, *, protocol: dict, seed: int = 0, skill: float = 0.3,
                sha256: str = "0" * 64, threshold: float = 0.5, n_resamples: int = 200,
                ranking_seed: int | None = None, ranking_skill: float | None = None) -> R.BenchmarkResults:
    """Benchmark results of a seeded fake model answering exactly these protocol tables.

    ``skill`` shifts positive scores up, so different seeds/skills give different figures.
    ``ranking_seed`` / ``ranking_skill`` (default: from ``seed`` / ``skill``) draw the ranking
    scores apart, so two files can share every classification figure (ROC-AUC included) and
    still rank differently.
    """
    rng = np.random.default_rng(seed)
    labels = cls["label"].to_numpy().astype(np.int64)
    scores = np.clip(rng.random(len(cls)) * (1 - skill) + skill * labels, 0, 1).round(6)
    methods = cls["method"].astype(str).tolist()
    items = [R.ClassificationItem(item_id=str(r.item_id), query_id=str(r.query_id), candidate_id=str(r.candidate_id),
                                  method=str(r.method), label=int(r.label), score=float(s))
             for r, s in zip(cls.itertuples(index=False), scores)]
    queries, ranks = [], []
    rank_rng = rng if ranking_seed is None else np.random.default_rng(ranking_seed)
    rank_skill = skill if ranking_skill is None else ranking_skill
    for qid, group in rank.sort_values("item_id").groupby("query_id", sort=True):
        cands = group["candidate_id"].astype(str).tolist()
        truth = group["label"].to_numpy()
        sc = (rank_rng.random(len(cands)) + rank_skill * truth).round(6)
        t = int(np.flatnonzero(truth)[0])
        ranks.append(target_rank(sc, t))
        queries.append(R.RankingQuery(query_id=str(qid), target_id=cands[t], candidate_ids=cands,
                                      scores=sc.tolist(), target_rank=ranks[-1]))
    ranks_a = np.asarray(ranks, dtype=np.int64)
    metrics = R.compute_metrics(labels, scores, methods, ranks_a, threshold=threshold)
    ci = R.compute_intervals(labels, scores, methods, ranks_a, threshold=threshold, n_resamples=n_resamples,
                             confidence=0.95, seed=seed)
    return R.BenchmarkResults(
        model=R.ModelInfo(name=f"fake{seed}", file=f"fake{seed}.py", sha256=sha256, threshold=threshold,
                          ranking_by="score"),
        dataset=R.DatasetInfo(**protocol, n_classification=len(cls), n_queries=len(queries),
                              n_candidates=int(rank.groupby("query_id").size().max())),
        run=R.RunInfo(seed=seed, device="cpu", batch_size=16, package_versions={"numpy": np.__version__}),
        metrics=metrics, intervals=ci, classification=items, ranking=queries,
        timing=R.Timing(created="2026-01-01T00:00:00Z", wall_time_s=1.0),
    )


def write_board(board: Path, cls: pd.DataFrame, rank: pd.DataFrame, *, protocol: dict, release: str = "test") -> Path:
    """A bound board for these protocol tables (as `init --data` would write it)."""
    config = BoardConfig(
        board_format=BOARD_FORMAT, title=f"test board ({release})", release=release,
        protocol_version=protocol["protocol_version"], protocol_hash=protocol["content_hash"],
        dataset_fingerprint=protocol["dataset_fingerprint"], items_sha256=protocol_items_digest(cls, rank),
        results_schema_version=R.SCHEMA_VERSION,
        counts={"classification_items": len(cls), "ranking_queries": int(rank["query_id"].nunique())},
        created="2026-01-01T00:00:00Z", bound="2026-01-01T00:00:00Z",
    )
    write_json(board / "board.json", config.model_dump(mode="json"))
    (board / "submissions").mkdir(parents=True, exist_ok=True)
    return board
