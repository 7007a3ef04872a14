"""The submission protocol: what a model file must define to be benchmarked.

A submission is one Python file (plus whatever it loads from beside it) defining::

    def load_model() -> Any
    def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray
    def embed(model, loops: np.ndarray) -> np.ndarray          # optional
    THRESHOLD: float = 0.5                                     # optional

``sources`` and ``targets`` are float32 arrays of shape (batch, 88200): 2-s, 44.1 kHz mono
loops, pair ``i`` being ``(sources[i], targets[i])``. ``score`` returns one compatibility
per pair, shape (batch,), higher meaning more compatible; ``THRESHOLD`` turns scores into
compatible / incompatible decisions for classification. A model that defines ``embed``
(shape (batch, dim)) is ranked by Euclidean distance between embeddings, which costs one
forward pass per loop instead of one per pair; ``score`` must then agree with it (a
decreasing function of the distance).

This module only loads a file into a :class:`Submission`; checking that it keeps the
protocol is the benchmark's validator's job (:mod:`nlc.benchmark.validate`).
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from nlc.errors import SubmissionError

DEFAULT_THRESHOLD: float = 0.5
REQUIRED_FUNCTIONS: tuple[str, ...] = ("load_model", "score")
DEVICE_ENV: str = "NLC_DEVICE"
"""Environment variable telling a submission which device to use (``cpu`` or ``cuda``)."""


def import_file(path: str | os.PathLike[str]) -> ModuleType:
    """Import a submission file as a fresh module; its folder is importable while loading."""
    path = Path(path).resolve()
    if not path.is_file():
        raise SubmissionError(f"{path}: no such submission file")
    name = f"nlc_submission_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SubmissionError(f"{path}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a broken submission must not crash (or silently end) the harness
        raise SubmissionError(f"{path.name}: importing it raised {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(str(path.parent))
    return module


class LoadedSubmission(Protocol):
    """What the harness needs of a loaded submission, wherever it runs: a :class:`Submission` in
    this process, or a :class:`nlc.sandbox.SandboxedSubmission` in a sandbox."""

    @property
    def path(self) -> Path: ...

    @property
    def name(self) -> str: ...

    @property
    def threshold(self) -> float: ...

    @property
    def has_embed(self) -> bool: ...

    def score(self, sources: np.ndarray, targets: np.ndarray) -> Any: ...

    def embed(self, loops: np.ndarray) -> Any: ...


@dataclass
class Submission:
    """A loaded submission: its module, the object ``load_model()`` returned, its threshold."""

    path: Path
    module: ModuleType
    model: Any
    threshold: float

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def has_embed(self) -> bool:
        return callable(getattr(self.module, "embed", None))

    def score(self, sources: np.ndarray, targets: np.ndarray) -> Any:
        """Call the submission's ``score``; the result is unchecked (see the validator)."""
        return self.module.score(self.model, sources, targets)

    def embed(self, loops: np.ndarray) -> Any:
        """Call the submission's ``embed``; the result is unchecked (see the validator)."""
        return self.module.embed(self.model, loops)


def load_submission(path: str | os.PathLike[str]) -> Submission:
    """Import a submission file and call its ``load_model()``.

    Raises
    ------
    SubmissionError
        If the file cannot be imported, lacks ``load_model`` or ``score``, has a
        non-numeric ``THRESHOLD``, or ``load_model()`` raises.
    """
    path = Path(path).resolve()
    module = import_file(path)
    for fn in REQUIRED_FUNCTIONS:
        if not callable(getattr(module, fn, None)):
            raise SubmissionError(f"{path.name}: missing required function {fn}()")
    threshold = getattr(module, "THRESHOLD", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
        raise SubmissionError(f"{path.name}: THRESHOLD must be a finite number, got {threshold!r}")
    try:
        model = module.load_model()
    except (Exception, SystemExit) as exc:
        raise SubmissionError(f"{path.name}: load_model() raised {type(exc).__name__}: {exc}") from exc
    return Submission(path=path, module=module, model=model, threshold=float(threshold))


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's legacy and torch's global generators (for submissions that use
    them); the harness calls it before ``load_model()``, in whichever process loads the model."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.manual_seed(seed)


def to_numpy(value: Any, *, what: str) -> np.ndarray:
    """A numpy array from what ``score``/``embed`` may return (a numpy array or scalar, or a torch
    tensor on any device), else :class:`SubmissionError`."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if not isinstance(value, (np.ndarray, np.generic)):
        raise SubmissionError(f"{what} returned {type(value).__name__}, expected a numpy array or torch tensor")
    return np.asarray(value)
