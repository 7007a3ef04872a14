"""Train a CNN or SNN baseline on ``nlc-loops/`` and leave a ready-to-run submission folder.

:func:`train_baseline` (and ``nlc-bench train``) writes into ``out/``:

* ``checkpoint.pt``: the weights with the lowest validation loss so far, plus the run's
  settings (:mod:`nlc.baselines.checkpoint`); ``submission.py`` beside it (the template of
  :mod:`nlc.baselines.export`), so ``nlc-bench run out/submission.py`` works unchanged;
* ``last.pt``: the state after the last finished epoch (weights, optimiser, early-stopping
  counters); re-running the same command resumes from it, and a finished run returns at once;
* ``log.jsonl`` / ``loss.png`` (:mod:`nlc.baselines.run_log`) and ``run.json`` (settings,
  dataset fingerprint, package versions, best epoch, why training stopped).

Training follows the paper where it speaks: batch size 128, SGD, BCE (CNN) or contrastive
loss (SNN). Where it is silent: SGD with learning rate 0.01 and momentum 0.9; Adam at 1e-3
(the authors' code) with ``optimizer="adam"``; up to 10 epochs, stopping early when the
validation loss has not improved for 3 epochs. Each epoch draws fresh negatives
(:mod:`nlc.baselines.train_data`); the validation negatives are drawn once per seed so
that validation losses are comparable across epochs. Same seed, same numbers.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nlc.loops.negatives import METHODS
from nlc.errors import InputError
from nlc.provenance import package_versions

from .checkpoint import atomic_torch_save, save_checkpoint
from .export import CHECKPOINT_NAME, write_submission
from .models import DEFAULT_MARGIN, MODEL_KINDS, build_model, contrastive_loss
from .run_log import append_log, plot_losses, truncate_log
from .skeleton import SkeletonConfig
from .stft_mix import StftCache
from .train_data import SplitData, cnn_batch, draw_examples, load_split, snn_batch

RESUME_NAME = "last.pt"
RESUME_FORMAT = "nlc-baseline-resume/1"
DEFAULT_LR: dict[str, float] = {"sgd": 0.01, "adam": 1e-3}
TRAIN_CACHE_LOOPS = 2048
"""Most loop STFTs a CNN training run keeps in memory (1.42 MB each)."""
VAL_STREAM = 999_983
"""Extra seed word of the validation negatives' generator (fixed for the whole run)."""
_IDENTITY_KEYS = ("model", "negatives", "seed", "batch_size", "optimizer", "lr", "momentum", "margin",
                  "pool", "max_train_pairs")


@dataclass
class TrainConfig:
    """Settings of one training run (all recorded in ``run.json`` and the checkpoint)."""

    model: str
    negatives: str
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    patience: int = 3
    seed: int = 0
    device: str = "cpu"
    margin: float = DEFAULT_MARGIN
    pool: int = 2
    max_train_pairs: int | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if self.model not in MODEL_KINDS:
            raise InputError(f"unknown model {self.model!r}; expected one of {MODEL_KINDS}")
        if self.negatives not in METHODS:
            raise InputError(f"unknown negative sampling {self.negatives!r}; expected one of {METHODS}")
        if self.optimizer not in DEFAULT_LR:
            raise InputError(f"unknown optimizer {self.optimizer!r}; expected one of {tuple(DEFAULT_LR)}")
        if self.lr is None:
            self.lr = DEFAULT_LR[self.optimizer]
        for name in ("epochs", "batch_size", "patience"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.batch_size < 2:
            raise InputError("batch_size must be >= 2 (batch norm needs two examples)")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"--device {self.device}: torch sees no CUDA device")


def _return_freed_heap() -> None:
    """Hand the heap pages freed by a finished run back to the OS (glibc's ``malloc_trim``; a no-op elsewhere).

    A run's STFT cache is thousands of 1.4 MB tensors; once freed, glibc keeps their pages for
    reuse, and the next run's allocations, interleaved with others, fragment them: the demo's ten
    runs in one process (``reproduce table2``) reached 11.3 GB resident, 7.4 GB with this.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        libc = None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    assert cfg.lr is not None  # __post_init__ fills in the optimizer's default
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)


def _run_losses(model, data: SplitData, examples, cfg: TrainConfig, *, optimizer=None, cache=None,
                progress=None) -> tuple[float, float]:
    """Mean loss and accuracy over ``examples``; trains when ``optimizer`` is given."""
    device = torch.device(cfg.device)
    total, correct, seen = 0.0, 0, 0
    for lo in range(0, len(examples), cfg.batch_size):
        batch = examples[lo:lo + cfg.batch_size]
        if optimizer is not None and len(batch) < 2:
            continue  # batch norm cannot train on a single example
        labels = torch.tensor([ex.label for ex in batch], dtype=torch.float32, device=device)
        with torch.set_grad_enabled(optimizer is not None):
            if cfg.model == "cnn":
                x = torch.from_numpy(cnn_batch(data, batch, stft_cache=cache)).to(device)
                logits = model(x)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
                hits = ((logits >= 0).float() == labels).sum().item()
            else:
                a, b = (torch.from_numpy(v).to(device) for v in snn_batch(data, batch))
                dist = model(a, b)
                loss = contrastive_loss(dist, labels, margin=model.margin)
                hits = ((dist <= model.margin / 2).float() == labels).sum().item()
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        total += loss.item() * len(batch)
        correct += int(hits)
        seen += len(batch)
        if progress is not None:
            progress.update(len(batch))
            progress.set_postfix(loss=f"{total / seen:.4f}")
    return total / max(seen, 1), correct / max(seen, 1)


def _load_resume(out: Path, identity: dict[str, Any]) -> dict[str, Any] | None:
    path = out / RESUME_NAME
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != RESUME_FORMAT:
        raise InputError(f"{path}: not a resume file of nlc-bench train")
    if state["identity"] != identity:
        changed = sorted(k for k in identity if state["identity"].get(k) != identity[k])
        raise InputError(f"{out}: holds a run with other settings ({', '.join(changed)}); choose another --out")
    return state


def train_baseline(*, model: str, negatives: str, data: Path, out: Path, epochs: int = 10, seed: int = 0,
                   device: str = "cpu", progress: bool = True, **opts: Any) -> Path:
    """Train (or resume) one baseline and return the path of its ``submission.py``.

    Parameters
    ----------
    model : {"cnn", "snn"}
    negatives : {"random", "selected", "reverse", "shift", "rearrange"}
    data : Path
        An ``nlc-loops/`` folder (needs ``train`` and ``validation`` pairs).
    out : Path
        Run folder; re-running with the same settings resumes it.
    epochs : int, default 10
        Maximum epochs (early stopping may end sooner).
    seed : int, default 0
        Seeds initialisation, dropout, negatives and shuffling.
    device : str, default "cpu"
        ``cpu`` or ``cuda``.
    progress : bool, default True
        Show tqdm progress bars.
    **opts
        Any other :class:`TrainConfig` field: ``batch_size`` (128), ``optimizer``
        (``"sgd"``/``"adam"``), ``lr`` (0.01 SGD, 1e-3 Adam), ``momentum`` (0.9),
        ``patience`` (3), ``margin`` (2.0), ``pool`` (2), ``max_train_pairs`` (all),
        ``cache_dir`` (``out/cache``).
    """
    from tqdm.auto import tqdm

    from nlc.loops.reader import open_dataset

    cfg = TrainConfig(model=model, negatives=negatives, epochs=epochs, seed=seed, device=device, **opts)
    out = Path(out)
    dataset = open_dataset(data)
    out.mkdir(parents=True, exist_ok=True)
    identity = {k: getattr(cfg, k) for k in _IDENTITY_KEYS} | {"dataset": dataset.info.dataset_fingerprint}
    state = _load_resume(out, identity)
    if state is not None and (state["stopped"] or state["epoch"] >= cfg.epochs) and (out / CHECKPOINT_NAME).is_file():
        return write_submission(out, cfg.model, margin=cfg.margin)

    cache_dir = Path(cfg.cache_dir) if cfg.cache_dir else out / "cache"
    bar = tqdm(desc="caching features", unit="item", disable=not progress, leave=False)

    def tick(name: str, n: int) -> None:
        bar.update(n)

    train, val = (load_split(dataset, s, cache_dir=cache_dir, progress=tick) for s in ("train", "validation"))
    for split in (train, val):
        split.pair_mixes(tick) if cfg.model == "cnn" else split.loop_mels(tick)
    bar.close()

    torch.manual_seed(cfg.seed)
    net = build_model(cfg.model, SkeletonConfig(pool=cfg.pool), margin=cfg.margin).to(cfg.device)
    optimizer = _optimizer(cfg, net)
    start, best, best_epoch, bad = 0, float("inf"), 0, 0
    if state is not None:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start, best, best_epoch, bad = state["epoch"], state["best_val"], state["best_epoch"], state["bad_epochs"]
    truncate_log(out, start)
    val_examples = draw_examples(val, cfg.negatives, np.random.default_rng([cfg.seed, VAL_STREAM]), shuffle=False)
    # every loop's STFT kept across epochs when the splits allow: a between-song negative
    # then costs one mix instead of a fresh STFT (bounded: 2048 loops = 2.9 GB)
    cache = StftCache(max_loops=min(len(train.loop_ids) + len(val.loop_ids), TRAIN_CACHE_LOOPS))
    meta_base = {
        "config": {k: v for k, v in asdict(cfg).items() if k != "cache_dir"},
        "dataset": {"protocol_version": dataset.info.protocol_version, "content_hash": dataset.info.content_hash,
                    "dataset_fingerprint": dataset.info.dataset_fingerprint},
        "train_pairs": train.n_pairs, "validation_pairs": val.n_pairs,
    }
    stopped = ""
    for epoch in range(start, cfg.epochs):
        rng = np.random.default_rng([cfg.seed, epoch])
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        examples = draw_examples(train, cfg.negatives, rng, max_pairs=cfg.max_train_pairs)
        tic = time.perf_counter()
        net.train()
        with tqdm(total=len(examples), desc=f"{cfg.model}/{cfg.negatives} epoch {epoch + 1}/{cfg.epochs}",
                  unit="pair", disable=not progress, leave=False) as pbar:
            train_loss, _ = _run_losses(net, train, examples, cfg, optimizer=optimizer, cache=cache, progress=pbar)
        train_seconds = time.perf_counter() - tic
        net.eval()
        val_loss, val_acc = _run_losses(net, val, val_examples, cfg, cache=cache)
        improved = val_loss < best
        if improved:
            best, best_epoch, bad = val_loss, epoch + 1, 0
            save_checkpoint(out / CHECKPOINT_NAME, net, meta=meta_base | {
                "epoch": epoch + 1, "val_loss": val_loss, "val_accuracy": val_acc, "versions": package_versions()})
        else:
            bad += 1
        if bad >= cfg.patience:
            stopped = f"early stop: no validation improvement for {bad} epochs"
        append_log(out, {"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val_loss, "val_accuracy": val_acc,
                         "seconds": round(time.perf_counter() - tic, 3),
                         "pairs_per_second": round(len(examples) / max(train_seconds, 1e-9), 2), "best": improved})
        atomic_torch_save({"format": RESUME_FORMAT, "identity": identity, "epoch": epoch + 1,
                           "model": {k: v.cpu() for k, v in net.state_dict().items()},
                           "optimizer": optimizer.state_dict(), "best_val": best, "best_epoch": best_epoch,
                           "bad_epochs": bad, "stopped": bool(stopped)}, out / RESUME_NAME)
        plot_losses(out, title=f"{cfg.model.upper()} / {cfg.negatives} negatives")
        if stopped:
            break
    del cache
    _return_freed_heap()
    submission = write_submission(out, cfg.model, margin=cfg.margin)
    record = meta_base | {"best_epoch": best_epoch, "best_val_loss": best,
                          "stopped": stopped or f"reached {cfg.epochs} epochs", "versions": package_versions()}
    (out / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    return submission
