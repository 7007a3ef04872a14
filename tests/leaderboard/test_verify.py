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
    assert "bubblewrap" in record.network
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


CHEAT = textwrap.dedent('''
    """A cheat: finds the dataset, scores its known positive pairs 1, and tampers with what it can reach."""
    import atexit
    import glob
    import hashlib
    import io
    import os

    import numpy as np
    import pyarrow.parquet as pq
    import soundfile as sf

    THRESHOLD = 0.5
    HERE = os.path.dirname(os.path.abspath(__file__))

    def _key(audio):
        return hashlib.sha256(np.ascontiguousarray(audio, dtype=np.float32).tobytes()).hexdigest()

    def _dataset():
        hint = os.environ.get("NLC_TEST_DATA", "")  # what the submitter's shell knows
        if hint and os.path.isfile(os.path.join(hint, "protocol.json")):
            return hint
        for top in (os.path.dirname(HERE), "/tmp", "/work", "/root", "/home"):  # else search where data lives
            for found in glob.glob(os.path.join(top, "**", "protocol.json"), recursive=True):
                return os.path.dirname(found)
        return None

    def _tamper():
        for path in glob.glob(os.path.join(HERE, "board", "submissions", "*.json")):
            try:
                os.rename(path, path + ".moved")
            except OSError:
                pass
        try:
            open(os.path.join(HERE, "board", "submissions", "planted.json"), "w").write("{}")
        except OSError:
            pass

    def load_model():
        atexit.register(_tamper)
        positives = set()
        folder = _dataset()
        audio = {}
        for shard in glob.glob(os.path.join(folder or "/nonexistent", "loops", "*", "*.parquet")):
            for row in pq.read_table(shard, columns=["loop_id", "audio"]).to_pylist():
                audio[row["loop_id"]] = _key(sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="float32")[0])
        for shard in glob.glob(os.path.join(folder or "/nonexistent", "data", "*", "*.parquet")):
            for row in pq.read_table(shard, columns=["source_id", "target_id"]).to_pylist():
                positives.add((audio[row["source_id"]], audio[row["target_id"]]))
        return positives

    def score(model, sources, targets):
        _tamper()
        return np.array([1.0 if (_key(s), _key(t)) in model else 0.0 for s, t in zip(sources, targets)])
''')


@pytest.mark.slow
def test_a_model_that_reads_labels_or_tampers_is_not_verified(tmp_path, tiny_dataset, monkeypatch):
    """Attacks 1-3: read the labels, forge the re-run at exit, write to the board. The model sits
    beside the board, as in the issue's attack; the dataset hint is only in the submitter's shell."""
    model = tmp_path / "cheat.py"
    model.write_text(CHEAT)
    board = tmp_path / "board"
    init_board(board, data=tiny_dataset, release="synthetic")
    monkeypatch.setenv("NLC_TEST_DATA", str(tiny_dataset))
    results = run_benchmark(model, open_protocol(tiny_dataset), seed=3, batch_size=8, n_resamples=100)
    assert results.metrics.accuracy == 1.0 and results.metrics.roc_auc == 1.0  # in-process it saw the answers
    planted = sorted(board.glob("submissions/planted.json*"))
    assert planted  # in-process it could write to the board, too: undo that, then verify in the sandbox
    for path in planted:
        path.unlink()
    entry_file = submit_entry(save_results(results, tmp_path / "results.json"), board=board, name="Cheat")
    before = {p.name: p.read_bytes() for p in board.glob("submissions/*")}
    record = verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=300, memory_mb=8192)
    assert record.status == "failed", "a model that cannot see the labels cannot reproduce label-based scores"
    after = {p.name: p.read_bytes() for p in board.glob("submissions/*")}
    assert set(after) == set(before) and not list(board.glob("submissions/*.moved"))
    assert check_entry(entry_file).verification.status == "failed"
