"""End to end: ``nlc-bench validate/run/compare`` on the shared ``tiny_dataset`` fixture."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nlc.benchmark import results as R
from nlc.benchmark.run import open_protocol, run_benchmark
from nlc.benchmark.scoring import rank_queries
from nlc.benchmark.synthetic import synthetic_protocol
from nlc.cli import main
from nlc.protocol import load_submission

EXAMPLE = Path(__file__).parents[2] / "examples" / "my_model.py"

# Cheap submissions (no spectrogram) so that these tests take well under a second each.
PAIR = """
import numpy as np
THRESHOLD = -0.05
def load_model():
    return None
def score(model, sources, targets):
    rms = lambda x: np.sqrt((x.astype(np.float64) ** 2).mean(axis=1))
    return -np.abs(rms(sources) - rms(targets))
"""
EMBED = """
import numpy as np
THRESHOLD = 0.5
def load_model():
    return None
def embed(model, loops):
    x = loops.astype(np.float64)
    return np.stack([np.sqrt((x ** 2).mean(1)), np.abs(np.diff(np.sign(x), axis=1)).mean(1)], axis=1)
def score(model, sources, targets):
    return np.exp(-np.linalg.norm(embed(model, sources) - embed(model, targets), axis=1))
"""


def write(folder, body, name):
    path = Path(folder) / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.slow
def test_example_validates_and_runs_on_tiny_dataset(tiny_dataset, tmp_path, capsys):
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "OK, embedding model" in capsys.readouterr().out
    out = tmp_path / "results.json"
    assert main(["run", str(EXAMPLE), "--data", str(tiny_dataset), "--out", str(out), "--no-progress",
                 "--n-resamples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "| my_model |" in printed and "Avg. rank" in printed
    res = R.load_results(out)
    assert res.model.ranking_by == "embed" and res.model.threshold == 0.75
    assert res.metrics == R.recompute_metrics(res)
    assert res.dataset.n_classification == len(res.classification) > 0
    assert all(1 <= q.target_rank <= len(q.candidate_ids) for q in res.ranking)


def test_same_seed_gives_identical_json_apart_from_timing(tiny_dataset, tmp_path):
    sub = write(tmp_path, PAIR, "pair.py")
    data = open_protocol(tiny_dataset)
    dumps = []
    for _ in range(2):
        res = run_benchmark(sub, data, seed=3, n_resamples=100)
        dumps.append(json.loads(res.model_dump_json(exclude={"timing"})))
    assert dumps[0] == dumps[1]
    other = json.loads(run_benchmark(sub, data, seed=4, n_resamples=100).model_dump_json(exclude={"timing"}))
    assert other["intervals"] != dumps[0]["intervals"] and other["metrics"] == dumps[0]["metrics"]


def test_failing_submission_writes_nothing(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "r.json"
    broken = write(tmp_path, PAIR.replace("def score", "def scores"), "broken.py")
    assert main(["run", str(broken), "--data", str(tiny_dataset), "--out", str(out)]) == 2
    assert "missing required function score()" in capsys.readouterr().err and not out.exists()
    # Passes the validator (batches of at most 8) but returns NaN on the real, larger batches.
    late = write(tmp_path, PAIR.replace("    return -np.abs", "    if len(sources) > 8:\n        return np.full(len(sources), np.nan)\n    return -np.abs"), "late.py")
    assert main(["run", str(late), "--data", str(tiny_dataset), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "score() on items cls-" in err and "NaN" in err and not out.exists()


def test_unknown_or_missing_device_is_refused(tiny_dataset, tmp_path):
    import torch

    from nlc.errors import InputError

    sub = write(tmp_path, PAIR, "pair.py")
    with pytest.raises(InputError, match="unknown device 'tpu'"):
        run_benchmark(sub, open_protocol(tiny_dataset), device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA device"):
            run_benchmark(sub, open_protocol(tiny_dataset), device="cuda")


def test_embedding_ranking_is_minus_distance_and_pair_ranking_is_score(tmp_path):
    data = synthetic_protocol(n_validation_songs=6, pairs_per_song=2, n_test_songs=5, seed=1)
    emb = load_submission(write(tmp_path, EMBED, "emb.py"))
    pair = load_submission(write(tmp_path, PAIR, "pair2.py"))
    for sub, batch in ((emb, 3), (pair, 7)):
        ranked = rank_queries(sub, data.ranking, data.audio_fn, batch_size=batch)
        assert [q.query_id for q in ranked] == list(dict.fromkeys(data.ranking["query_id"]))
        for q in ranked[:2]:
            src = data.audio_fn([q.query_id] * len(q.candidate_ids))
            cands = data.audio_fn(q.candidate_ids)
            if sub is emb:
                expected = -np.linalg.norm(sub.embed(src) - sub.embed(cands), axis=1)
            else:
                expected = sub.score(src, cands)
            np.testing.assert_allclose(q.scores, expected, rtol=1e-12)


def test_compare_cli(tiny_dataset, tmp_path, capsys):
    paths = []
    for name, body in (("a.py", PAIR), ("b.py", EMBED)):
        res = run_benchmark(write(tmp_path, body, name), open_protocol(tiny_dataset), n_resamples=100)
        paths.append(R.save_results(res, tmp_path / f"{name}.json"))
    assert main(["compare", *map(str, paths), "--json", "--n-resamples", "200"]) == 0
    comp = json.loads(capsys.readouterr().out)
    assert comp["a"] == "a" and comp["b"] == "b"
    assert 0.0 <= comp["wilcoxon_ranks"]["p_value"] <= 1.0 and 0.0 <= comp["mcnemar"]["p_value"] <= 1.0
    assert {d["figure"] for d in comp["differences"]} >= {"accuracy", "average_rank", "top10", "method:reverse"}
    assert main(["compare", *map(str, paths)]) == 0
    assert "Wilcoxon signed-rank" in capsys.readouterr().out
