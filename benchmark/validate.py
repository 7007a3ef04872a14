"""``nlc-bench validate``: check a submission in seconds before anyone spends a full run.

Like HEAR's validator, it calls the submission on generated audio (silence, white noise,
tones, a chord, a click track, noise bursts) and checks the protocol of
:mod:`nlc.protocol`:

1. the file imports, defines ``load_model`` and ``score``, ``THRESHOLD`` is a finite
   number and ``load_model()`` returns (checked by :func:`nlc.protocol.load_submission`);
2. ``score`` returns shape (batch,) of finite real numbers (numpy or torch) for batches of
   1, 3 and 8 pairs, including silent loops;
3. a pair's score does not depend on the batch it is in, and a repeated call returns the
   same scores (catches a model left in training mode: dropout, batch statistics);
4. ``embed`` (if defined) returns (batch, dim) finite numbers with the same ``dim`` on
   every call, is batch-independent and deterministic, and ``score`` is a decreasing
   function of the embedding distance (the protocol's promise that ranking by distance
   and classifying by score describe one model).

Every failure is one :class:`~nlc.errors.SubmissionError` line naming the problem; the
validator writes nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlc.benchmark.outputs import call, check_embeddings, check_scores
from nlc.errors import SubmissionError
from nlc.spec import BEAT_SAMPLES, LOOP_SAMPLES, SAMPLE_RATE
from nlc.protocol import LoadedSubmission, load_submission
from nlc.sandbox import SandboxLimits, open_sandboxed

BATCH_SIZES: tuple[int, ...] = (1, 3, 8)
"""Batch sizes the validator calls ``score`` and ``embed`` with."""
RTOL: float = 1e-4
"""Relative tolerance when comparing outputs across batch sizes and repeats."""
ATOL: float = 1e-5
"""Absolute tolerance (scaled by the outputs' magnitude, at least 1) for the same comparisons."""


def generated_loops(*, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Eight generated 2-s loops, shape (8, 88200) float32, and their names.

    Silence, white noise, a 440 Hz sine, an A-minor chord, a click on every beat, decaying
    noise bursts per beat, a rising sweep and a full-scale square wave: together they hit
    zeros, extremes and both tonal and percussive content.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(LOOP_SAMPLES) / SAMPLE_RATE
    clicks = np.zeros(LOOP_SAMPLES)
    clicks[::BEAT_SAMPLES] = 1.0
    bursts = rng.standard_normal(LOOP_SAMPLES) * np.tile(np.exp(-np.arange(BEAT_SAMPLES) / 2000.0), 4)
    loops = {
        "silence": np.zeros(LOOP_SAMPLES),
        "noise": 0.3 * rng.standard_normal(LOOP_SAMPLES),
        "sine440": 0.5 * np.sin(2 * np.pi * 440.0 * t),
        "chord": sum(0.2 * np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63)),
        "clicks": clicks,
        "bursts": 0.5 * bursts,
        "sweep": 0.4 * np.sin(2 * np.pi * (100.0 * t + 900.0 * t**2)),
        "square": np.sign(np.sin(2 * np.pi * 110.0 * t)),
    }
    audio = np.clip(np.stack(list(loops.values())), -1.0, 1.0).astype(np.float32)
    return list(loops), audio


@dataclass(frozen=True)
class ValidationReport:
    """What the validator found out about a submission that passed."""

    name: str
    threshold: float
    has_embed: bool
    embed_dim: int | None
    seconds: float
    pairs_per_second: float

    def summary(self) -> str:
        kind = f"embedding model (dim {self.embed_dim})" if self.has_embed else "pair model"
        return (f"{self.name}: OK, {kind}, THRESHOLD {self.threshold:g}; checks passed in {self.seconds:.1f} s "
                f"(score: {self.pairs_per_second:.0f} pairs/s, warm)")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL * scale))


def _score(sub: LoadedSubmission, src: np.ndarray, tgt: np.ndarray, what: str) -> np.ndarray:
    # Fresh copies: a submission that writes into its inputs must not corrupt later checks.
    out = call(sub.score, src.copy(), tgt.copy(), what=f"score() on {what}")
    return check_scores(out, len(src), what=f"score() on {what}")


def _embed(sub: LoadedSubmission, loops: np.ndarray, what: str, dim: int | None) -> np.ndarray:
    out = call(sub.embed, loops.copy(), what=f"embed() on {what}")
    return check_embeddings(out, len(loops), dim=dim, what=f"embed() on {what}")


def validate_loaded(sub: LoadedSubmission, *, seed: int = 0) -> ValidationReport:
    """Run checks 2-4 on an already loaded submission (the runner uses this too)."""
    start = time.perf_counter()
    names, loops = generated_loops(seed=seed)
    n = len(loops)
    # Pair i: loop i with loop (i + 1) mod n, so silence meets noise, tones meet clicks...
    src, tgt = loops, np.roll(loops, -1, axis=0)
    full = _score(sub, src, tgt, f"a batch of {n} generated pairs")
    for size in BATCH_SIZES:
        if size >= n:
            continue
        lo = n - size  # the last pairs: a batch that does not start at the first loop
        part = _score(sub, src[lo:], tgt[lo:], f"a batch of {size} generated pairs")
        if not _same(part, full[lo:]):
            raise SubmissionError(
                f"score() depends on the batch: pair {names[lo]}+{names[(lo + 1) % n]} scored "
                f"{full[lo]:.6g} in a batch of {n}, {part[0]:.6g} in a batch of {size} (model in training mode?)"
            )
    tick = time.perf_counter()
    again = _score(sub, src, tgt, f"a repeated batch of {n} generated pairs")
    pairs_per_second = n / max(time.perf_counter() - tick, 1e-9)  # warm: imports and caches are done
    if not _same(again, full):
        raise SubmissionError("score() is not deterministic: the same batch scored differently twice (dropout active?)")
    dim = None
    if sub.has_embed:
        emb = _embed(sub, loops, f"a batch of {n} generated loops", None)
        dim = emb.shape[1]
        for size in BATCH_SIZES:
            if size < n and not _same(_embed(sub, loops[n - size:], f"a batch of {size} generated loops", dim), emb[n - size:]):
                raise SubmissionError(f"embed() depends on the batch: loop {names[n - size]} embeds differently in a batch of {size}")
        if not _same(_embed(sub, loops, f"a repeated batch of {n} generated loops", dim), emb):
            raise SubmissionError("embed() is not deterministic: the same loops embedded differently twice")
        _check_score_follows_distance(full, np.linalg.norm(emb - np.roll(emb, -1, axis=0), axis=1), names)
    seconds = time.perf_counter() - start
    return ValidationReport(
        name=sub.name, threshold=sub.threshold, has_embed=sub.has_embed, embed_dim=dim,
        seconds=seconds, pairs_per_second=pairs_per_second,
    )


def _check_score_follows_distance(scores: np.ndarray, dist: np.ndarray, names: list[str]) -> None:
    """Scores must not increase with the embedding distance (beyond the tolerances)."""
    s_tol = ATOL * max(1.0, float(np.max(np.abs(scores))))
    d_tol = ATOL * max(1.0, float(np.max(dist)))
    n = len(names)
    for i in range(n):
        for j in range(n):
            if dist[i] < dist[j] - d_tol and scores[i] < scores[j] - s_tol:
                raise SubmissionError(
                    f"score() disagrees with embed(): pair {names[i]}+{names[(i + 1) % n]} is closer in embedding "
                    f"space than {names[j]}+{names[(j + 1) % n]} but scores lower ({scores[i]:.4g} < {scores[j]:.4g})"
                )


def validate_submission(path: str | os.PathLike[str], *, seed: int = 0,
                        sandbox: SandboxLimits | None = None) -> ValidationReport:
    """Load a submission file and check it keeps the protocol (see the module docstring).

    Parameters
    ----------
    path : path-like
        The submission's ``.py`` file.
    seed : int, default 0
        Seed of the generated noise (and, in a sandbox, of the global generators before ``load_model()``).
    sandbox : SandboxLimits or None, default None
        Load and call the submission in a sandbox with these limits (:mod:`nlc.sandbox`);
        None loads it in this process.

    Raises
    ------
    SubmissionError
        One line naming the first problem found.
    """
    if sandbox is not None:
        with open_sandboxed(path, seed=seed, limits=sandbox) as boxed:
            return validate_loaded(boxed, seed=seed)
    return validate_loaded(load_submission(Path(path)), seed=seed)
