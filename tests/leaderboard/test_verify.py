"""End to end: `nlc-bench run` on the tiny dataset, submit, then verify in the sandbox."""

import json
import textwrap

import pytest

from nlc.benchmark.results import save_results
from nlc.benchmark.run import open_protocol, run_benchmark
from nlc.errors import IntegrityError
from nlc.leaderboard.board import init_board
from nlc.leaderboard.checks import check_entry
from nlc.leaderboard.reproduce import compare_outputs
from nlc.leaderboard.submit import submit_entry
from nlc.leaderboard.verify import verify_entry

MODEL = textwrap.dedent('''
    """Loudness-match model: compatible when the two loops have similar RMS level."""
    import os
    import numpy as np

    THRESHOLD = 0.5

    def load_model():
        return {"offset": float(os.environ.get("NLC_TEST_OFFSET", "0"))}

    def score(model, sources, targets):
        rs = np.sqrt(np.mean(np.square(sources, dtype=np.float64), axis=1))
        rt = np.sqrt(np.mean(np.square(targets, dtype=np.float64), axis=1))
        return 1.0 / (1.0 + np.abs(np.log((rs + 1e-9) / (rt + 1e-9)))) + model["offset"]
''')


@pytest.fixture(scope="module")
def submitted(tmp_path_factory, tiny_dataset):
    root = tmp_path_factory.mktemp("verify")
    model = root / "rms_model.py"
    model.write_text(MODEL)
    results = run_benchmark(model, open_protocol(tiny_dataset), seed=3, batch_size=8, n_resamples=100)
    path = save_results(results, root / "results.json")
    board = root / "board"
    init_board(board, data=tiny_dataset, release="synthetic")
    return model, submit_entry(path, board=board, name="RMS match", code="https://example.org/rms")


def test_faithful_rerun_is_verified(submitted, tiny_dataset):
    model, entry_file = submitted
    record = verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=300, memory_mb=8192)
    assert record.status == "verified", record.reason
    assert record.n_scores > 0 and record.n_score_mismatches == 0 and record.max_rel_diff <= 1e-4
    assert record.n_ranks > 0 and record.n_rank_mismatches == 0 and record.memory_mb == 8192
    assert "guard" in record.network
    entry = check_entry(entry_file)
    assert entry.verified and entry.verification == record


def test_rerun_that_differs_is_not_verified(submitted, tiny_dataset, monkeypatch):
    model, entry_file = submitted
    monkeypatch.setenv("NLC_TEST_OFFSET", "0.001")  # the re-run scores every pair 0.001 higher
    record = verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=300)
    assert record.status == "failed" and "scores outside tolerance" in record.reason
    assert record.n_score_mismatches == record.n_scores
    assert not check_entry(entry_file).verified


def test_time_limit_fails_the_verification(submitted, tiny_dataset):
    model, entry_file = submitted
    record = verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=0.5)
    assert record.status == "failed" and "time limit" in record.reason


def test_other_model_file_is_refused(submitted, tiny_dataset, tmp_path):
    _, entry_file = submitted
    other = tmp_path / "rms_model.py"
    other.write_text(MODEL + "\n# changed\n")
    before = entry_file.read_text()
    with pytest.raises(IntegrityError, match="is not the submitted model's"):
        verify_entry(entry_file, model=other, data=tiny_dataset)
    assert entry_file.read_text() == before


def test_tolerance_is_relative_with_identical_ranks(submitted):
    from nlc.benchmark.results import BenchmarkResults

    _, entry_file = submitted
    a = BenchmarkResults.model_validate(json.loads(entry_file.read_text())["results"])
    scaled = a.model_copy(update={"classification": [c.model_copy(update={"score": c.score * (1 + 5e-5)})
                                                     for c in a.classification]})
    assert compare_outputs(a, scaled).reproduced
    shifted = a.model_copy(update={"classification": [c.model_copy(update={"score": c.score * (1 + 5e-4)})
                                                      for c in a.classification]})
    result = compare_outputs(a, shifted)
    assert not result.reproduced and result.n_score_mismatches == len(a.classification)
