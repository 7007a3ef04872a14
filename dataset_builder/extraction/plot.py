"""One picture of a song's extraction: which loop plays in which bar, and what each sounds like.

Top: the normalised layout (loops x bars, darker = stronger) with the pair threshold drawn
as dots where a loop counts as playing. Bottom: each kept loop's reconstructed
bar spectrogram (mel band x time in bar, dB), titled with its id and best bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np


def plot_extraction(path: str | Path | BinaryIO, ex, *, title: str = "", threshold: float | None = None
                    ) -> str | Path | BinaryIO:
    """Write a PNG of an :class:`~nlc.dataset_builder.extraction.pipeline.Extraction` to ``path`` (a file name
    or a binary file object)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(ex.ids)
    cols = max(1, min(n, 6))
    rows = 1 + -(-n // cols)
    fig = plt.figure(figsize=(2.2 * cols + 1, 2.0 + 1.8 * (rows - 1)), constrained_layout=True)
    grid = fig.add_gridspec(rows, cols, height_ratios=[1.3] + [1.0] * (rows - 1))
    ax = fig.add_subplot(grid[0, :])
    ax.imshow(ex.layout.T, aspect="auto", cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest")
    thr = threshold if threshold is not None else 0.2
    bars, loops = np.nonzero(ex.layout >= thr)
    ax.scatter(bars, loops, s=6, c="tab:red", label=f"activation >= {thr:g}")
    ax.set_yticks(range(n), ex.ids)
    ax.set_xlabel("bar")
    ax.set_title(f"{title}  loop layout ({len(ex.pairs)} pairs)".strip())
    ax.legend(loc="upper right", fontsize="x-small")
    for k, lid in enumerate(ex.ids):
        sub = fig.add_subplot(grid[1 + k // cols, k % cols])
        db = 20.0 * np.log10(np.maximum(ex.spectrograms[k], 1e-6))
        sub.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=db.max() - 60.0, vmax=db.max())
        sub.set_title(f"{lid} (bar {ex.best_bar[lid]})", fontsize="small")
        sub.set_xticks([])
        sub.set_yticks([])
    fig.savefig(path, dpi=80, format="png")
    plt.close(fig)
    return path
