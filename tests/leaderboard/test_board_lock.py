"""Board integrity under concurrent writers, and duplicate runs ("Trust" issue).

Every board write (init, submit, verify's record, render) holds the board's lock; a submit
checks for an entry of its name and for a repeat of an entry's run under that lock, and a
repeat is a run of the same model file whose per-item outputs agree within the
verification tolerance, not only a byte-identical one.

The concurrency tests widen the window between a submit's checks and its write (a sleep
in ``_utc_now``, called between them), so without the lock every writer passes the checks
before any writes: the race is hit on every run, not by chance.
"""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nlc.benchmark import results as R
from nlc.errors import InputError, IntegrityError
from nlc.leaderboard import board as board_module
from nlc.leaderboard import submit as submit_module
from nlc.leaderboard.board import board_lock, init_board
from nlc.leaderboard.checks import check_results_file
from nlc.leaderboard.entry import entry_files, load_entry, save_entry
from nlc.leaderboard.render import render_board
from nlc.leaderboard.submit import submit_entry

from leaderboard_fixtures import PROTOCOL, results_for

REPO = Path(__file__).resolve().parents[2]
N_THREADS = 10
N_PROCESSES = 4


@pytest.fixture
def slow_write(monkeypatch):
    """Sleep between a submit's checks and its write."""
    stamp = submit_module._utc_now

    def slow() -> str:
        time.sleep(0.2)
        return stamp()

    monkeypatch.setattr(submit_module, "_utc_now", slow)


def _race(jobs):
    """Run the callables at the same moment in threads; returns [(result|None, exception|None)]."""
    outcome = [(None, None)] * len(jobs)
    gate = threading.Barrier(len(jobs))

    def run(i):
        gate.wait()
        try:
            outcome[i] = (jobs[i](), None)
        except Exception as exc:  # noqa: BLE001  (collected and checked by the test)
            outcome[i] = (None, exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcome


def test_concurrent_submits_of_one_name_add_one_entry(board, results_file, slow_write):
    files = [results_file(seed=i) for i in range(N_THREADS)]  # different runs: only the name collides
    outcome = _race([lambda f=f: submit_entry(f, board=board, name="Same name") for f in files])
    added = [i for i, (path, _) in enumerate(outcome) if path is not None]
    refused = [exc for _, exc in outcome if exc is not None]
    assert len(added) == 1 and len(refused) == N_THREADS - 1, (added, refused)
    for exc in refused:
        assert isinstance(exc, InputError) and "\n" not in str(exc)
        assert "an entry named 'Same name' exists; pass --replace" in str(exc)
    [entry_file] = entry_files(board)
    assert load_entry(entry_file).results == R.load_results(files[added[0]]).model_dump(mode="json")


@pytest.mark.slow
def test_concurrent_submits_of_one_name_from_processes(board, results_file, tmp_path):
    files = [results_file(seed=i) for i in range(N_PROCESSES)]
    go = tmp_path / "go"
    script = (  # imports first, then every process waits for `go`; the check-to-write window is widened
        "import os, sys, time\n"
        "from nlc.cli import main\n"
        "import nlc.leaderboard.submit as s, nlc.leaderboard.render\n"
        "stamp = s._utc_now\n"
        "s._utc_now = lambda: (time.sleep(0.3), stamp())[1]\n"
        "open(sys.argv[1], 'w').close()\n"
        "while not os.path.exists(sys.argv[2]): time.sleep(0.01)\n"
        "sys.exit(main(sys.argv[3:]))\n"
    )
    procs = []
    for i, f in enumerate(files):
        argv = [str(tmp_path / f"ready{i}"), str(go), "leaderboard", "submit", str(f), "--board", str(board),
                "--name", "Same name", "--no-render"]
        procs.append(subprocess.Popen([sys.executable, "-c", script, *argv], cwd=REPO, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{i}").exists() for i in range(N_PROCESSES)) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    go.touch()
    done = [(p.wait(120), *p.communicate()) for p in procs]
    added = [i for i, (rc, _, _) in enumerate(done) if rc == 0]
    refused = [err for rc, _, err in done if rc == 2]
    assert len(added) == 1 and len(refused) == N_PROCESSES - 1, done
    for err in refused:
        assert len(err.splitlines()) == 1 and "an entry named 'Same name' exists" in err
    [entry_file] = entry_files(board)
    assert load_entry(entry_file).results == R.load_results(files[added[0]]).model_dump(mode="json")


def test_concurrent_submits_of_one_run_under_two_names_add_one_entry(board, results_file, slow_write):
    path = results_file(seed=1)
    names = [f"Name {i}" for i in range(5)]
    outcome = _race([lambda n=n: submit_entry(path, board=board, name=n) for n in names])
    added = [names[i] for i, (entry, _) in enumerate(outcome) if entry is not None]
    refused = [exc for _, exc in outcome if exc is not None]
    assert len(added) == 1 and len(refused) == 4, (added, refused)
    for exc in refused:
        assert isinstance(exc, InputError) and "\n" not in str(exc)
        assert f"already on the board as {added[0]!r}" in str(exc)
    assert len(entry_files(board)) == 1


def _nudge_one_score(path: Path, out: Path, *, where: str) -> Path:
    """Copy a results file with one per-item score moved by 1e-9 (a score no other score ties)."""
    raw = json.loads(path.read_text())
    if where == "classification":
        scores = [c["score"] for c in raw["classification"]]
        i = next(i for i, s in enumerate(scores) if scores.count(s) == 1)
        raw["classification"][i]["score"] += 1e-9
    else:
        q = raw["ranking"][0]
        j = next(j for j, s in enumerate(q["scores"]) if q["scores"].count(s) == 1)
        q["scores"][j] += 1e-9
    out.write_text(json.dumps(raw))
    return out


@pytest.mark.parametrize("where", ["classification", "ranking"])
def test_run_with_one_score_nudged_is_a_duplicate(board, results_file, tmp_path, where):
    original = results_file(seed=1)
    submit_entry(original, board=board, name="Model A")
    nudged = _nudge_one_score(original, tmp_path / "nudged.json", where=where)
    results = check_results_file(nudged, board_module.load_board(board))  # figures unchanged: passes every check
    assert results != R.load_results(original)
    with pytest.raises(InputError, match=r"already on the board as 'Model A' \(.*model-a\.json\)") as info:
        submit_entry(nudged, board=board, name="Model B")
    assert "\n" not in str(info.value)
    submit_entry(results_file(seed=2), board=board, name="Model C")
    with pytest.raises(InputError, match="already on the board as 'Model A'"):  # nor by replacing another entry
        submit_entry(nudged, board=board, name="Model C", replace=True)
    assert [p.name for p in entry_files(board)] == ["model-a.json", "model-c.json"]
    again = submit_entry(nudged, board=board, name="Model A", replace=True)  # its own entry: allowed
    assert load_entry(again).results["classification"] == json.loads(nudged.read_text())["classification"]


def test_same_outputs_from_another_model_file_are_not_a_duplicate(board, tables, tmp_path):
    for i, sha in enumerate(("1" * 64, "2" * 64)):
        run = results_for(*tables, protocol=PROTOCOL, seed=1, sha256=sha)
        submit_entry(R.save_results(run, tmp_path / f"r{i}.json"), board=board, name=f"Model {i}")
    assert len(entry_files(board)) == 2


@pytest.fixture
def held_lock(monkeypatch):
    """Hold a board's lock from another thread (as another command would) with a short wait limit."""
    monkeypatch.setattr(board_module, "LOCK_TIMEOUT_S", 0.5)
    stop, held, threads = threading.Event(), threading.Event(), []

    def hold(board: Path) -> None:
        def run():
            with board_lock(board):
                held.set()
                stop.wait(30)

        threads.append(threading.Thread(target=run))
        threads[-1].start()
        assert held.wait(10)

    yield hold
    stop.set()
    for t in threads:
        t.join(10)


@pytest.mark.parametrize("write", ["submit", "render", "init", "save_entry"])
def test_every_board_write_waits_for_the_lock(board, results_file, held_lock, write, tmp_path):
    if write == "init":
        board = tmp_path / "awaiting"
        init_board(board, release="fma")
    entry_file = submit_entry(results_file(seed=1), board=board, name="M") if write == "save_entry" else None
    held_lock(board)
    before = {p.name: p.read_bytes() for p in board.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="another command has been writing this board"):
        if write == "submit":
            submit_entry(results_file(seed=2), board=board, name="Other")
        elif write == "render":
            render_board(board)
        elif write == "init":
            init_board(board, release="fma", title="new title")
        else:
            save_entry(board, load_entry(entry_file).model_copy(update={"name": "m"}))
    assert {p.name: p.read_bytes() for p in board.rglob("*") if p.is_file()} == before


def test_lock_is_reentrant_in_one_thread(board, results_file):
    with board_lock(board):
        with board_lock(board):
            submit_entry(results_file(seed=1), board=board, name="Inside")
        render_board(board)
    assert "Inside" in (board / "README.md").read_text()


# --- verify's update of an entry ------------------------------------------------------------

@pytest.fixture
def verify_board(tmp_path, tiny_dataset):
    """A board of the tiny dataset with one entry whose model file hashes to its model.sha256."""
    from nlc.loops.reader import open_dataset
    from nlc.provenance import file_sha256

    model = tmp_path / "model.py"
    model.write_text("THRESHOLD = 0.5\ndef load_model():\n    return None\n"
                     "def score(model, sources, targets):\n    import time; time.sleep(60)\n")
    board = tmp_path / "board"
    init_board(board, data=tiny_dataset, release="synthetic")
    ds = open_dataset(tiny_dataset)
    info = ds.info
    protocol = {"protocol_version": info.protocol_version, "content_hash": info.content_hash,
                "dataset_fingerprint": info.dataset_fingerprint}
    run = results_for(ds.classification(), ds.ranking(), protocol=protocol, seed=4, sha256=file_sha256(model))
    entry_file = submit_entry(R.save_results(run, tmp_path / "r.json"), board=board, name="Slow")
    return board, entry_file, model, run


def test_verify_record_waits_for_the_lock(verify_board, tiny_dataset, held_lock):
    from nlc.leaderboard.verify import verify_entry

    board, entry_file, model, _ = verify_board
    before = entry_file.read_bytes()
    held_lock(board)
    with pytest.raises(InputError, match="another command has been writing this board"):
        verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=0.5)
    assert entry_file.read_bytes() == before


def test_verify_does_not_write_over_an_entry_replaced_meanwhile(verify_board, tiny_dataset, tmp_path, monkeypatch):
    from nlc.leaderboard import verify as verify_module

    board, entry_file, model, run = verify_board
    other = run.model_copy(update={"timing": run.timing.model_copy(update={"wall_time_s": 2.0})})
    other_file = R.save_results(other, tmp_path / "other.json")
    versions = verify_module.package_versions

    def replace_then_versions():  # runs after the re-run, before the record is saved
        submit_entry(other_file, board=board, name="Slow", replace=True)
        return versions()

    monkeypatch.setattr(verify_module, "package_versions", replace_then_versions)
    with pytest.raises(IntegrityError, match="replaced or removed during the re-run"):
        verify_module.verify_entry(entry_file, model=model, data=tiny_dataset, timeout_s=0.5)
    entry = load_entry(entry_file)
    assert entry.verification is None and entry.results == other.model_dump(mode="json")
    assert entry.results["timing"]["wall_time_s"] == 2.0
