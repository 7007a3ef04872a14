"""End to end: `nlc-bench run` on the tiny dataset, submit, then verify in the sandbox."""

import json
import textwrap

import pytest

from nlc.benchmark.results import save_results
from nlc.benchmark.run import open_protocol, run_benchmark
from nlc.errors import IntegrityError
from nlc.leaderboard.board import init_board
from nlc.leaderboard.checks import check_entry
from nlc.leaderboard.agreement import compare_outputs
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


@pytest.mark.slow
def test_faithful_rerun_is_verified(submitted, tiny_dataset):
    model, entry_file = submitted
    record = verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=300, memory_mb=8192)
    assert record.status == "verified", record.reason
    assert record.n_scores > 0 and record.n_score_mismatches == 0 and record.max_rel_diff <= 1e-4
    assert record.n_ranks > 0 and record.n_rank_mismatches == 0 and record.memory_mb == 8192
    assert "guard" in record.network
    entry = check_entry(entry_file)
    assert entry.verified and entry.verification == record


def test_memory_limit_fails_the_verification(submitted, tiny_dataset):
    model, entry_file = submitted
    record = verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=300, memory_mb=64)
    assert record.status == "failed" and "re-run failed" in record.reason and record.memory_mb == 64
    entry = check_entry(entry_file)
    assert not entry.verified and entry.verification.reason == record.reason


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
    assert compare_outputs(a, a).reproduced
    scaled = a.model_copy(update={"classification": [c.model_copy(update={"score": c.score * (1 + 5e-5)})
                                                     for c in a.classification]})
    assert compare_outputs(a, scaled).reproduced
    shifted = a.model_copy(update={"classification": [c.model_copy(update={"score": c.score * (1 + 5e-4)})
                                                      for c in a.classification]})
    result = compare_outputs(a, shifted)
    assert not result.reproduced and result.n_score_mismatches == len(a.classification)
    assert "scores outside tolerance" in result.reason
    q = a.ranking[0]
    step = -100.0 if q.target_rank == 1 else 100.0  # move the target to the other end of the list
    moved_scores = [s + (step if c == q.target_id else 0.0) for c, s in zip(q.candidate_ids, q.scores)]
    new_rank = len(q.candidate_ids) if step < 0 else 1
    moved = a.model_copy(update={"ranking": [q.model_copy(update={"scores": moved_scores, "target_rank": new_rank})]
                                 + a.ranking[1:]})
    result = compare_outputs(a, moved)
    assert not result.reproduced and result.n_rank_mismatches == 1 and "target ranks differ" in result.reason
