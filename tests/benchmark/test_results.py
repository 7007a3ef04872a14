import json

import numpy as np
import pytest

from nlc.benchmark import results as R
from nlc.benchmark.metrics import target_rank
from nlc.errors import InputError, IntegrityError


def make_results(seed=0, n_pairs=40, n_queries=8, n_cand=8):
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


def test_roundtrip_and_recompute(tmp_path):
    res = make_results()
    path = R.save_results(res, tmp_path / "r.json")
    back = R.load_results(path)
    assert back == res
    point, ci = R.recompute_metrics(back, intervals=True)
    assert point == res.metrics and ci == res.intervals
    R.check_metrics(back, intervals=True)


def test_edited_figure_is_refused(tmp_path):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    raw["metrics"]["top10"] += 0.1
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="metrics.top10"):
        R.load_results(path)
    assert R.load_results(path, verify=False).metrics.top10 == raw["metrics"]["top10"]


def test_edited_score_breaks_stored_rank(tmp_path):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    q = raw["ranking"][0]
    q["scores"][q["candidate_ids"].index(q["target_id"])] = 99.0
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match="ranking.0.*target_rank"):
        R.load_results(path)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r.update(schema_version="0.9"), "schema_version '0.9'"),
        (lambda r: r["classification"][0].update(label=2), "classification.0.label"),
        (lambda r: r.update(surprise=1), "surprise"),
        (lambda r: r["classification"].pop(), "classification items"),
    ],
)
def test_schema_violations_are_one_line_input_errors(tmp_path, edit, match):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    edit(raw)
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=match) as info:
        R.load_results(path)
    assert "\n" not in str(info.value)


def test_unreadable_file(tmp_path):
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(InputError, match="not a readable JSON"):
        R.load_results(tmp_path / "x.json")
