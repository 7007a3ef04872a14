"""Results on the Hub: the metric table, ``main_score``, ``folder_sha256`` and ``results export``."""

import dataclasses
import json
import textwrap

import pytest
import yaml
from huggingface_hub import ModelCardData
from huggingface_hub.repocard_data import model_index_to_eval_results

from nlc.benchmark import figures
from nlc.benchmark import results as R
from nlc.benchmark.metrics import MAIN_SCORE, METRIC_TABLE, metric_info
from nlc.benchmark.model_index import model_index_yaml
from nlc.benchmark.run import run_benchmark
from nlc.benchmark.synthetic import synthetic_protocol
from nlc.cli import main
from nlc.errors import InputError, IntegrityError
from nlc.leaderboard.columns import COLUMNS
from nlc.provenance import folder_sha256


def test_metric_table_describes_every_figure_once():
    keys = [m.key for m in METRIC_TABLE]
    assert len(set(keys)) == len(keys)
    assert set(keys) == set(figures.CLASSIFICATION_FIGURES) | set(figures.RANKING_FIGURES)
    assert set(keys) == set(R.Metrics.model_fields) - {"method_accuracy"}
    assert [m.key for m in METRIC_TABLE if not m.higher_is_better] == ["average_rank"]
    assert metric_info("average_rank").low == 1.0 and metric_info("average_rank").high is None
    assert all((m.low, m.high) == (0.0, 1.0) for m in METRIC_TABLE if m.key != "average_rank")
    with pytest.raises(InputError, match="unknown metric"):
        metric_info("bleu")
    # The leaderboard's columns are the table, not a copy of it.
    assert [(c.key, c.title, c.digits, c.higher_is_better) for c in COLUMNS] == [
        (m.key, m.title, m.digits, m.higher_is_better) for m in METRIC_TABLE
    ]


def test_main_score_and_directions_are_derived_not_stored(tmp_path, make_results):
    res = make_results()
    assert MAIN_SCORE == "roc_auc"
    assert res.main_score == res.metrics.main_score == res.metrics.roc_auc
    assert res.metrics.higher_is_better["average_rank"] is False
    assert all(res.metrics.higher_is_better[k] for k in ("accuracy", "f1", "roc_auc", "top10", "top30", "top50"))
    raw = json.loads(res.model_dump_json())
    assert "main_score" not in raw and "higher_is_better" not in raw["metrics"]


def test_old_result_files_without_folder_hash_still_load_and_verify(tmp_path, make_results):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    assert raw["model"].pop("folder_sha256") is None
    path.write_text(json.dumps(raw))
    assert R.load_results(path).model.folder_sha256 is None
    raw["metrics"]["roc_auc"] += 0.01
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="metrics.roc_auc"):
        R.load_results(path)


PAIR = """
import numpy as np
THRESHOLD = 0.0
def load_model():
    return None
def score(model, sources, targets):
    return sources.astype(np.float64).mean(axis=1) - targets.astype(np.float64).mean(axis=1)
"""


def test_run_records_the_hash_of_the_whole_submission_folder(tmp_path):
    folder = tmp_path / "runs" / "m"
    folder.mkdir(parents=True)
    (folder / "submission.py").write_text(textwrap.dedent(PAIR))
    (folder / "weights.txt").write_text("1 2 3\n")
    data = synthetic_protocol(n_validation_songs=6, pairs_per_song=2, n_test_songs=4, n_candidates=5, seed=2)
    res = run_benchmark(folder / "submission.py", data, n_resamples=20, progress=False, log=lambda _: None)
    assert res.model.folder_sha256 == folder_sha256(folder)
    (folder / "weights.txt").write_text("1 2 4\n")
    assert res.model.folder_sha256 != folder_sha256(folder)


def _parse(text):
    meta = yaml.safe_load(text)
    assert list(meta) == ["model-index"]
    name, evals = model_index_to_eval_results(meta["model-index"])
    assert ModelCardData(**meta).eval_results == evals  # how the Hub loads a card header
    return name, evals


def test_export_prints_a_model_index_the_hub_parser_reads_back(tmp_path, make_results, capsys):
    res = make_results()
    path = R.save_results(res, tmp_path / "r.json")
    assert main(["results", "export", str(path), "--format", "model-index", "--model-id", "me/my-model",
                 "--dataset-revision", "abc123"]) == 0
    name, evals = _parse(capsys.readouterr().out)
    assert name == "me/my-model"
    assert [e.metric_type for e in evals] == [m.key for m in METRIC_TABLE]
    for e in evals:
        assert e.metric_value == getattr(res.metrics, e.metric_type)
        assert e.verified is False and e.metric_name
        assert (e.task_type, e.dataset_type, e.dataset_config, e.dataset_revision) == (
            "audio-classification", "nlc-loops", "protocol", "abc123")
        assert e.dataset_split == ("classification" if e.metric_type in figures.CLASSIFICATION_FIGURES else "ranking")
        assert e.dataset_args == {"protocol_version": "1", "content_hash": "h", "dataset_fingerprint": "f"}
    by_type = {e.metric_type: e for e in evals}
    assert "lower is better" in by_type["average_rank"].metric_name
    assert "main score" in by_type["roc_auc"].metric_name


def test_export_defaults_and_refusals(tmp_path, make_results, capsys):
    res = make_results()
    name, evals = _parse(model_index_yaml(res))
    assert name == res.model.name and all(e.dataset_revision is None for e in evals)
    _, evals = _parse(model_index_yaml(res, dataset_id="org/nlc-loops"))
    assert {e.dataset_type for e in evals} == {"org/nlc-loops"}

    path = R.save_results(res, tmp_path / "r.json")
    assert main(["results", "export", str(path), "--model-id", "no-owner"]) == 2
    assert "--model-id 'no-owner': expected OWNER/NAME" in capsys.readouterr().err
    raw = json.loads(path.read_text())
    raw["metrics"]["f1"] = 0.99
    path.write_text(json.dumps(raw))
    assert main(["results", "export", str(path)]) == 2  # figures are verified before anything is printed
    captured = capsys.readouterr()
    assert "metrics.f1" in captured.err and captured.out == ""


def test_export_keeps_every_field_of_the_eval_results(make_results):
    evals = _parse(model_index_yaml(make_results(), model_id="a/b", dataset_revision="r1"))[1]
    assert {f.name for f in dataclasses.fields(evals[0]) if getattr(evals[0], f.name) is not None} == {
        "task_type", "task_name", "dataset_type", "dataset_name", "dataset_config", "dataset_split",
        "dataset_revision", "dataset_args", "metric_type", "metric_name", "metric_value", "verified",
    }
