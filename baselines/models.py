"""The two neural baselines of the paper: a pair classifier (CNN) and a Siamese network (SNN).

* :class:`PairCNN` (section 4.2.2) reads *one* input, the log-mel of the two loops mixed at
  half gain each (:mod:`nlc.baselines.stft_mix`), and ends in one sigmoid unit trained
  with binary cross-entropy: its output is the probability that the pair is compatible.
* :class:`SiameseNet` (section 4.2.3) runs the same skeleton (shared weights) on each loop
  and is trained with the contrastive loss of Hadsell et al. (2006) on the Euclidean
  distance of the two 16-d embeddings; compatible loops end up close.

Both return *logits / distances* from ``forward`` so that the losses can use their
numerically stable forms (:func:`torch.nn.functional.binary_cross_entropy_with_logits` is
the BCE of the sigmoid output, computed without the ``log(0)`` of a saturated sigmoid).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from nlc.errors import InputError

from .skeleton import Skeleton, SkeletonConfig

DEFAULT_MARGIN: float = 2.0
"""Contrastive-loss margin (Euclidean distance units of the embedding); 2 as in the authors' code."""

MODEL_KINDS: tuple[str, ...] = ("cnn", "snn")


class PairCNN(nn.Module):
    """Skeleton + batch norm, PReLU, dropout and a single sigmoid output unit."""

    kind = "cnn"

    def __init__(self, config: SkeletonConfig | None = None) -> None:
        super().__init__()
        self.skeleton = Skeleton(config)
        cfg = self.skeleton.config
        self.head = nn.Sequential(
            nn.BatchNorm1d(cfg.embedding_dim), nn.PReLU(), nn.Dropout(cfg.dropout),
            nn.Linear(cfg.embedding_dim, 1),
        )

    @property
    def config(self) -> SkeletonConfig:
        return self.skeleton.config

    def forward(self, mixed: torch.Tensor) -> torch.Tensor:
        """Logits (batch,) of the mixed pairs' log-mels (batch, 173, 128); sigmoid gives P(compatible)."""
        return self.head(self.skeleton(mixed)).squeeze(1)

    def loss(self, mixed: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean binary cross-entropy of the sigmoid output against labels (1 = compatible)."""
        return F.binary_cross_entropy_with_logits(self(mixed), labels.float())


class SiameseNet(nn.Module):
    """Twin skeletons with shared weights: an embedding and the distance between two."""

    kind = "snn"

    def __init__(self, config: SkeletonConfig | None = None, *, margin: float = DEFAULT_MARGIN) -> None:
        super().__init__()
        if not margin > 0:
            raise InputError(f"margin must be positive, got {margin}")
        self.skeleton = Skeleton(config)
        self.margin = float(margin)

    @property
    def config(self) -> SkeletonConfig:
        return self.skeleton.config

    def embed(self, spectrograms: torch.Tensor) -> torch.Tensor:
        """Embeddings (batch, 16) of single loops' log-mels (batch, 173, 128)."""
        return self.skeleton(spectrograms)

    def forward(self, sources: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Euclidean distances (batch,) between the embeddings of two batches of log-mels.

        Both sides go through the skeleton as one batch, so batch-norm statistics in
        training mode are shared by the twins exactly as their weights are.
        """
        both = self.embed(torch.cat([sources, targets], dim=0))
        a, b = both.split(sources.shape[0], dim=0)
        return pairwise_distance(a, b)

    def loss(self, sources: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean contrastive loss of the pairs (labels 1 = compatible, 0 = not)."""
        return contrastive_loss(self(sources, targets), labels, margin=self.margin)


def pairwise_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distance between rows of ``a`` and ``b`` (no epsilon, so d(x, x) = 0)."""
    return (a - b).square().sum(dim=1).clamp_min(1e-12).sqrt()


def contrastive_loss(distances: torch.Tensor, labels: torch.Tensor, *, margin: float = DEFAULT_MARGIN) -> torch.Tensor:
    """Contrastive loss (Hadsell, Chopra & LeCun 2006), averaged over the batch.

    ``0.5 * d**2`` for compatible pairs (label 1) pulls them together;
    ``0.5 * max(0, margin - d)**2`` for incompatible pairs (label 0) pushes them at least
    ``margin`` apart and ignores them beyond it.

    Parameters
    ----------
    distances : tensor (batch,)
        Euclidean distances between the embeddings of each pair.
    labels : tensor (batch,)
        1 for compatible pairs, 0 for incompatible ones.
    margin : float, default 2.0
        Distance beyond which incompatible pairs cost nothing.
    """
    y = labels.float()
    return 0.5 * (y * distances.square() + (1.0 - y) * F.relu(margin - distances).square()).mean()


def build_model(kind: str, config: SkeletonConfig | None = None, *, margin: float = DEFAULT_MARGIN) -> nn.Module:
    """A fresh :class:`PairCNN` (``"cnn"``) or :class:`SiameseNet` (``"snn"``)."""
    if kind == "cnn":
        return PairCNN(config)
    if kind == "snn":
        return SiameseNet(config, margin=margin)
    raise InputError(f"unknown model {kind!r}; expected one of {MODEL_KINDS}")
