"""Checkpoint files of the neural baselines: one self-describing ``.pt`` per trained model.

A checkpoint holds the weights *and* everything needed to rebuild the network (model kind,
:class:`~nlc.baselines.skeleton.SkeletonConfig`, contrastive margin) plus a ``meta`` record
of how it was trained (negatives, optimiser, learning rate, epochs, seed, dataset
fingerprint, package versions), so a submission folder is complete on its own. Files are
plain tensors and Python scalars, loaded with ``torch.load(weights_only=True)``: opening a
checkpoint never executes code. Writes are atomic (through :mod:`nlc.atomic`), so a killed
training run never leaves a half-written checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from nlc.atomic import atomic_path
from nlc.errors import InputError

from .models import DEFAULT_MARGIN, build_model
from .skeleton import SkeletonConfig

FORMAT: str = "nlc-baseline-checkpoint/1"


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path`` (:mod:`nlc.atomic`)."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def model_record(model: nn.Module, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The checkpoint dictionary of a :class:`PairCNN` or :class:`SiameseNet` (weights on CPU)."""
    return {
        "format": FORMAT,
        "model": model.kind,
        "config": cast(SkeletonConfig, model.config).to_dict(),  # nn.Module.__getattr__ is typed Tensor | Module
        "margin": float(getattr(model, "margin", DEFAULT_MARGIN)),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }


def save_checkpoint(path: str | os.PathLike[str], model: nn.Module, *, meta: dict[str, Any] | None = None) -> None:
    """Write ``model`` and its training record to ``path`` atomically."""
    atomic_torch_save(model_record(model, meta=meta), path)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint dictionary, checking its format; raises InputError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint")
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise InputError(f"{path}: unreadable checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InputError(f"{path}: not an {FORMAT} file")
    return record


def model_from_record(record: dict[str, Any], *, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the network of a checkpoint dictionary, in eval mode on ``device``."""
    model = build_model(record["model"], SkeletonConfig.from_dict(record["config"]), margin=record["margin"])
    model.load_state_dict(record["state_dict"])
    return model.to(device).eval()


def load_checkpoint(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """The trained network (eval mode) and its ``meta`` training record."""
    record = read_checkpoint(path)
    try:
        model = model_from_record(record, device=device)
    except (KeyError, RuntimeError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: checkpoint does not rebuild ({type(exc).__name__}: {exc})") from exc
    return model, record["meta"]
