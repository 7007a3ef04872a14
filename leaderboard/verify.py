"""Verify an entry: re-run its model in a sandbox and compare outputs.

A submitted result file could have been produced by anything; the verification re-runs the
submitted model file on the board's dataset and marks the entry verified only if the re-run
reproduces its per-item outputs (:mod:`nlc.leaderboard.agreement`: scores within 1e-4
relative + 1e-6 absolute, identical ranks and decisions). The model runs in the sandbox of
:mod:`nlc.sandbox`: it is handed the audio of each batch by this process and never learns
where the dataset or the board is, sees neither, has no network, no inherited environment,
its own user and PID namespace, and a wall-clock, memory and process limit that ends its
whole process tree. Only this process computes the figures and writes the entry's
``verification`` record; a model file whose SHA-256 is not the submitted one is refused
without touching the entry.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from nlc.errors import IntegrityError, SubmissionError
from nlc.leaderboard.board import board_lock, load_board
from nlc.leaderboard.checks import check_entry, results_from_entry
from nlc.leaderboard.entry import Entry, Verification, entry_path, load_entry, save_entry
from nlc.leaderboard.agreement import SCORE_ATOL, SCORE_RTOL, Comparison, compare_outputs
from nlc.provenance import file_sha256, package_versions
from nlc.sandbox import SandboxLimits

DEFAULT_TIMEOUT_S: float = SandboxLimits.timeout_s
"""Default wall-clock limit of the re-run, in seconds."""
DEFAULT_MEMORY_MB: int = SandboxLimits.memory_mb
"""Default address-space limit of the re-run, in MiB."""
NETWORK: str = "none (bubblewrap sandbox: empty network namespace, no inherited environment)"
"""What the verification record says of the re-run's network."""


def verify_entry(
    entry_file: str | os.PathLike[str],
    *,
    model: str | os.PathLike[str],
    data: str | os.PathLike[str] = "nlc-loops",
    board: str | os.PathLike[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_processes: int = SandboxLimits.max_processes,
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
    max_processes : int, default 256
        Processes and threads the model may add (RLIMIT_NPROC).
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
        The model file or the dataset is not the one the entry was produced with, or the
        entry was replaced or removed during the re-run (then nothing is written).
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
    from nlc.benchmark.run import open_protocol, run_benchmark

    limits = SandboxLimits(timeout_s=timeout_s, memory_mb=memory_mb, max_processes=max_processes)
    run = submitted.run
    start = time.monotonic()
    try:
        rerun = run_benchmark(
            model, open_protocol(data), seed=run.seed, device=device or run.device, batch_size=run.batch_size,
            n_resamples=submitted.intervals.n_resamples, confidence=submitted.intervals.confidence,
            sandbox=limits, hide=[board],
        )
        comparison = compare_outputs(submitted, rerun, rtol=rtol, atol=atol)
    except SubmissionError as exc:  # the model broke the protocol or a limit: a failed verification
        comparison = Comparison(0, 0, None, None, 0, 0, 0, f"re-run failed: {exc}")
    wall = time.monotonic() - start
    record = Verification(
        status="verified" if comparison.reproduced else "failed", reason=comparison.reason,
        checked=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), model_sha256=sha,
        score_rtol=rtol, score_atol=atol, n_scores=comparison.n_scores,
        n_score_mismatches=comparison.n_score_mismatches, max_abs_diff=comparison.max_abs_diff,
        max_rel_diff=comparison.max_rel_diff, n_ranks=comparison.n_ranks,
        n_rank_mismatches=comparison.n_rank_mismatches, n_decision_mismatches=comparison.n_decision_mismatches,
        timeout_s=float(timeout_s), memory_mb=int(memory_mb), network=NETWORK,
        device=device or submitted.run.device,
        wall_s=round(wall, 3), versions=package_versions(),
    )
    with board_lock(board):  # the record goes onto the entry as it is now, if it still holds these results
        target = entry_path(board, entry.slug)
        current = load_entry(target) if target.is_file() else None
        if current is None or current.results_sha256 != entry.results_sha256:
            raise IntegrityError(f"{target}: the entry was replaced or removed during the re-run; "
                                 "nothing recorded, verify it again")
        save_entry(board, current.model_copy(update={"verification": record}))
    return record
