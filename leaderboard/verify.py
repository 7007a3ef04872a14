"""Verify an entry: re-run its model in a sandboxed child process and compare outputs.

A submitted result file could have been produced by anything; the verification re-runs
the submitted model file on the board's dataset in a separate process with a wall-clock
limit, a memory limit and no network (:mod:`nlc.leaderboard.sandbox`), and marks the entry
verified only if the re-run reproduces its per-item outputs
(:mod:`nlc.leaderboard.agreement`: scores within 1e-4 relative + 1e-6 absolute, identical
ranks and decisions). Both outcomes are written into the entry's ``verification`` record;
a model file whose SHA-256 is not the submitted one is refused without touching the entry.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from nlc.errors import IntegrityError
from nlc.leaderboard.board import load_board
from nlc.leaderboard.checks import check_entry, results_from_entry
from nlc.leaderboard.entry import Entry, Verification, save_entry
from nlc.leaderboard.agreement import SCORE_ATOL, SCORE_RTOL, Comparison, compare_outputs
from nlc.leaderboard.sandbox import OFFLINE_ENV
from nlc.provenance import file_sha256, package_versions

DEFAULT_TIMEOUT_S: float = 3600.0
"""Default wall-clock limit of the re-run, in seconds."""
DEFAULT_MEMORY_MB: int = 16384
"""Default address-space limit of the re-run, in MiB."""
NETNS_PREFIX: tuple[str, ...] = ("unshare", "--net")


@lru_cache(maxsize=1)
def netns_available() -> bool:
    """True if ``unshare --net`` can start a process here (root, or user namespaces allowed)."""
    try:
        proc = subprocess.run([*NETNS_PREFIX, "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _network_label(isolate: bool) -> str:
    guard = "in-process guard (audit hook on sockets and name lookups, offline env)"
    return f"unshare --net (empty network namespace) + {guard}" if isolate else guard


def _run_child(cmd: list[str], *, timeout_s: float, cwd: Path) -> tuple[int | None, str, float]:
    """Run ``cmd`` in its own process group; kill the group on timeout. Returns (rc|None, stderr tail, wall s)."""
    env = {**os.environ, **OFFLINE_ENV}
    start = time.monotonic()
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          start_new_session=True, text=True) as proc:
        try:
            _, err = proc.communicate(timeout=timeout_s)
            return proc.returncode, err, time.monotonic() - start
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None, "", time.monotonic() - start


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no message"


def verify_entry(
    entry_file: str | os.PathLike[str],
    *,
    model: str | os.PathLike[str],
    data: str | os.PathLike[str] = "nlc-loops",
    board: str | os.PathLike[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    isolate_network: bool | None = None,
    device: str | None = None,
    rtol: float = SCORE_RTOL,
    atol: float = SCORE_ATOL,
) -> Verification:
    """Re-run an entry's model and record whether it reproduces the submitted outputs.

    Parameters
    ----------
    entry_file : path-like
        ``BOARD/submissions/<slug>.json``.
    model : path-like
        The submission file; its SHA-256 must be the entry's ``model.sha256``.
    data : path-like, default "nlc-loops"
        The dataset build the board is bound to (checked by protocol hash and fingerprint).
    board : path-like or None, default None
        Board folder (default: the folder above ``submissions/``).
    timeout_s : float, default 3600
        Wall-clock limit of the re-run in seconds; on expiry the whole process group is killed.
    memory_mb : int, default 16384
        Address-space limit (RLIMIT_AS) of the re-run in MiB; 0 disables it (CUDA reserves
        far more address space than it uses, so a CUDA re-run needs 0).
    isolate_network : bool or None, default None
        Run the child under ``unshare --net``; None uses it when it works here.
    device : str or None, default None
        Device of the re-run (``cpu``/``cuda``); None repeats the submitted run's.
    rtol, atol : float, default 1e-4, 1e-6
        Score tolerance (see :mod:`nlc.leaderboard.agreement`).

    Returns
    -------
    Verification
        Also written into the entry file (``status`` "verified" or "failed").

    Raises
    ------
    IntegrityError
        The model file or the dataset is not the one the entry was produced with.
    """
    entry_file = Path(entry_file)
    board = Path(board) if board is not None else entry_file.parent.parent
    entry: Entry = check_entry(entry_file, board=board)
    submitted = results_from_entry(entry, source=str(entry_file))
    model = Path(model).resolve()
    sha = file_sha256(model)
    if sha != submitted.model.sha256:
        raise IntegrityError(f"{model}: SHA-256 {sha[:12]}… is not the submitted model's {submitted.model.sha256[:12]}…")
    from nlc.loops.reader import open_dataset

    info = open_dataset(data).info
    config = load_board(board)
    if (info.content_hash, info.dataset_fingerprint) != (config.protocol_hash, config.dataset_fingerprint):
        raise IntegrityError(f"{data}: not the dataset build the board is bound to (protocol hash or fingerprint differ)")
    isolate = netns_available() if isolate_network is None else isolate_network
    with tempfile.TemporaryDirectory(prefix="nlc-verify-") as tmp:
        out = Path(tmp) / "rerun.json"
        run = submitted.run
        cmd = [sys.executable, "-m", "nlc.leaderboard.sandbox", "--model", str(model), "--data",
               str(Path(data).resolve()), "--out", str(out), "--memory-mb", str(int(memory_mb)),
               "--seed", str(run.seed), "--device", device or run.device, "--batch-size", str(run.batch_size),
               "--n-resamples", str(submitted.intervals.n_resamples),
               "--confidence", repr(submitted.intervals.confidence)]
        rc, err, wall = _run_child([*NETNS_PREFIX, *cmd] if isolate else cmd, timeout_s=timeout_s, cwd=Path(tmp))
        if rc is None:
            comparison = Comparison(0, 0, None, None, 0, 0, 0, f"re-run exceeded the {timeout_s:g} s time limit")
        elif rc != 0 or not out.is_file():
            comparison = Comparison(0, 0, None, None, 0, 0, 0, f"re-run failed (exit {rc}): {_last_line(err)}")
        else:
            from nlc.benchmark.results import load_results
            from nlc.errors import NLCError

            try:
                comparison = compare_outputs(submitted, load_results(out), rtol=rtol, atol=atol)
            except NLCError as exc:
                comparison = Comparison(0, 0, None, None, 0, 0, 0, f"re-run wrote an unusable result file: {exc}")
    record = Verification(
        status="verified" if comparison.reproduced else "failed", reason=comparison.reason,
        checked=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), model_sha256=sha,
        score_rtol=rtol, score_atol=atol, n_scores=comparison.n_scores,
        n_score_mismatches=comparison.n_score_mismatches, max_abs_diff=comparison.max_abs_diff,
        max_rel_diff=comparison.max_rel_diff, n_ranks=comparison.n_ranks,
        n_rank_mismatches=comparison.n_rank_mismatches, n_decision_mismatches=comparison.n_decision_mismatches,
        timeout_s=float(timeout_s), memory_mb=int(memory_mb), network=_network_label(isolate),
        device=device or submitted.run.device,
        wall_s=round(wall, 3), versions=package_versions(),
    )
    save_entry(board, entry.model_copy(update={"verification": record}))
    return record
