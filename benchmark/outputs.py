"""Checking what a submission's ``score`` and ``embed`` return.

Used twice: by the validator on generated audio, and by the runner on every batch of the
real run, so a NaN that only appears on real data still stops the run with a one-line
:class:`~nlc.errors.SubmissionError` before anything is written. numpy arrays and torch
tensors (any device) are accepted and converted to float64 numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nlc.errors import SubmissionError, SubmissionRaised
from nlc.protocol import to_numpy


def _real(array: np.ndarray, *, what: str) -> np.ndarray:
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise SubmissionError(f"{what} returned dtype {array.dtype}, expected real numbers (float)")
    out = array.astype(np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        first = np.argwhere(bad)[0].tolist()
        raise SubmissionError(f"{what} returned {int(bad.sum())} NaN or infinite value(s), first at index {first}")
    return out


def check_scores(value: Any, batch: int, *, what: str = "score()") -> np.ndarray:
    """Validate ``score`` output for ``batch`` pairs: shape (batch,), finite real -> float64."""
    array = to_numpy(value, what=what)
    if array.shape != (batch,):
        raise SubmissionError(f"{what} returned shape {array.shape} for {batch} pairs, expected ({batch},)")
    return _real(array, what=what)


def check_embeddings(value: Any, batch: int, *, dim: int | None = None, what: str = "embed()") -> np.ndarray:
    """Validate ``embed`` output for ``batch`` loops: shape (batch, dim), finite real -> float64."""
    array = to_numpy(value, what=what)
    if array.ndim != 2 or array.shape[0] != batch or array.shape[1] < 1:
        raise SubmissionError(f"{what} returned shape {array.shape} for {batch} loops, expected ({batch}, dim)")
    if dim is not None and array.shape[1] != dim:
        raise SubmissionError(f"{what} returned dim {array.shape[1]}, earlier calls returned {dim}")
    return _real(array, what=what)


def call(fn: Callable[..., Any], *args: np.ndarray, what: str) -> Any:
    """Call a submission function; any exception becomes a one-line :class:`SubmissionError`."""
    try:
        return fn(*args)
    except SubmissionRaised as exc:  # raised by the submission in the sandbox: reported as if raised here
        raise SubmissionError(f"{what} {exc}") from None
    except SubmissionError:
        raise
    except (Exception, SystemExit) as exc:  # sys.exit() in score() is a broken submission, not the end of the run
        message = str(exc).strip().splitlines()
        raise SubmissionError(f"{what} raised {type(exc).__name__}: {message[0] if message else ''}".rstrip(": ")) from exc
