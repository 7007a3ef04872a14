"""The per-epoch record of a training run: a JSONL log and a loss-curve PNG.

``log.jsonl`` gets one JSON object per finished epoch (``epoch``, ``train_loss``,
``val_loss``, ``val_accuracy``, ``seconds``, ``pairs_per_second``, ``best``), appended and
flushed as soon as the epoch ends, so an interrupted run keeps every finished epoch and a
resumed one continues the same file. ``loss.png`` is redrawn from the log after each epoch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

LOG_NAME: str = "log.jsonl"
PLOT_NAME: str = "loss.png"


def read_log(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Epoch records of a run folder, in order (empty if none); a torn last line is ignored."""
    path = Path(run_dir) / LOG_NAME
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


def truncate_log(run_dir: str | os.PathLike[str], epochs: int) -> None:
    """Keep only the records of the first ``epochs`` epochs (a resume restarts after them)."""
    records = [r for r in read_log(run_dir) if r["epoch"] <= epochs]
    path = Path(run_dir) / LOG_NAME
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def append_log(run_dir: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Append one epoch record and flush it to disk."""
    with (Path(run_dir) / LOG_NAME).open("a") as handle:
        handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def plot_losses(run_dir: str | os.PathLike[str], *, title: str) -> Path:
    """Draw train and validation loss per epoch (and validation accuracy) to ``loss.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_log(run_dir)
    epochs = [r["epoch"] for r in records]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(epochs, [r["train_loss"] for r in records], "o-", label="train loss")
    ax.plot(epochs, [r["val_loss"] for r in records], "s-", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    acc = ax.twinx()
    acc.plot(epochs, [r["val_accuracy"] for r in records], "^:", color="tab:green", label="val. accuracy")
    acc.set_ylabel("validation accuracy")
    acc.set_ylim(0, 1)
    lines = ax.get_legend_handles_labels()
    more = acc.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="best", fontsize="small")
    fig.tight_layout()
    path = Path(run_dir) / PLOT_NAME
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
