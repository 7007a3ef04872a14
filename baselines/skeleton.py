"""The skeleton network shared by both neural baselines (paper section 4.2.1).

Two 2-D convolutions (16 then 4 filters, 3 x 3 kernels) and three fully connected layers
(256, 128, 16 units) read the 173 x 128 log-mel spectrogram of one 2-s loop
(:data:`nlc.features.FEATURE_SHAPE`). Batch norm, 10 % dropout and PReLU follow every
convolution and the first two fully connected layers; the third (16 units) is left linear
because it *is* the output: the CNN head normalises and activates it before its sigmoid
unit, the Siamese network uses it as the embedding (an activation there would fold the
embedding space onto a half-line per unit, as the authors' released code also avoids).

Choices the paper leaves open, made here and stored in every checkpoint
(:class:`SkeletonConfig`):

* **Pooling.** The paper names none; the authors' code has none, which makes the first
  fully connected layer 4 x 173 x 128 x 256 = 22.7 M weights (99 % of the model) and the
  model about 3x slower to train on CPU. We max-pool 2 x 2 after each convolution
  (``pool=2``, default): 1.45 M parameters, the same receptive field per unit of the
  first conv layer, and the time/frequency pattern kept at 23 ms x 2 mel bands of
  resolution. ``pool=1`` reproduces the authors' unpooled layout exactly.
* **Order.** conv -> max-pool -> batch norm -> PReLU -> dropout. Pooling before
  normalisation is the cheap order (it touches 4x fewer activations); the authors'
  order (dropout before batch norm) is the unusual one and is not kept.
* **Input scaling.** The log-mel values are in dB (about -100 to +40); a batch norm on
  the single input channel standardises them with statistics learnt from the training
  data, so no dataset-specific constant has to travel with the model.
* **PReLU** has one learnt slope per layer (PyTorch's default), as in the authors' code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from nlc.errors import InputError
from nlc.spec import N_FRAMES, N_MELS

EMBEDDING_DIM: int = 16
"""Width of the skeleton's output: the SNN embedding and the CNN head's input."""


@dataclass(frozen=True)
class SkeletonConfig:
    """Hyper-parameters of :class:`Skeleton` (defaults: the paper's, plus 2 x 2 pooling).

    Parameters
    ----------
    conv_filters : tuple of int, default (16, 4)
        Filters of each convolution.
    kernel_size : int, default 3
        Square kernel of each convolution ("same" zero padding).
    fc_units : tuple of int, default (256, 128, 16)
        Units of each fully connected layer; the last is the output width.
    dropout : float, default 0.1
        Dropout probability after each activated layer.
    pool : int, default 2
        Max-pooling factor (both axes) after each convolution; 1 disables pooling.
    """

    conv_filters: tuple[int, ...] = (16, 4)
    kernel_size: int = 3
    fc_units: tuple[int, ...] = (256, 128, EMBEDDING_DIM)
    dropout: float = 0.1
    pool: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "conv_filters", tuple(int(f) for f in self.conv_filters))
        object.__setattr__(self, "fc_units", tuple(int(u) for u in self.fc_units))
        if not self.conv_filters or min(self.conv_filters) < 1:
            raise InputError(f"conv_filters must be positive, got {self.conv_filters}")
        if not self.fc_units or min(self.fc_units) < 1:
            raise InputError(f"fc_units must be positive, got {self.fc_units}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise InputError(f"kernel_size must be odd and positive, got {self.kernel_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.pool < 1:
            raise InputError(f"pool must be >= 1, got {self.pool}")

    def to_dict(self) -> dict:
        """Plain-Python form, as stored in checkpoints."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> SkeletonConfig:
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**fields)

    def conv_output_shape(self) -> tuple[int, int, int]:
        """(channels, frames, mel bins) after the convolutional part."""
        frames, bins = N_FRAMES, N_MELS
        for _ in self.conv_filters:
            frames, bins = frames // self.pool, bins // self.pool
        return self.conv_filters[-1], frames, bins

    @property
    def embedding_dim(self) -> int:
        return self.fc_units[-1]


class MaxPool(nn.Module):
    """Non-overlapping ``k`` x ``k`` max-pooling, equal to ``nn.MaxPool2d(k)`` (floor mode).

    For inference it is built from element-wise maxima of strided views, which runs about 3x
    faster than ``nn.MaxPool2d`` on CPU for these (batch, 16, 173, 128) activations. Their
    backward (``torch.maximum`` splits ties through masks and divisions) was the slowest step
    of training, so an input that needs a gradient goes through ``max_pool2d``, same values.
    """

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = int(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.k
        if x.requires_grad:  # training: torch's pooling has the cheap backward (an index per output)
            return nn.functional.max_pool2d(x, k)
        h, w = x.shape[-2] // k * k, x.shape[-1] // k * k
        x = x[..., :h, :w]
        rows = x[..., 0::k, :]
        for i in range(1, k):
            rows = torch.maximum(rows, x[..., i::k, :])
        out = rows[..., 0::k]
        for i in range(1, k):
            out = torch.maximum(out, rows[..., i::k])
        return out

    def extra_repr(self) -> str:
        return f"k={self.k}"


def pooled_conv2d(x: torch.Tensor, conv: nn.Conv2d, *, k: int) -> torch.Tensor:
    """``MaxPool(k)(conv(x))`` for a stride-1 "same" convolution, without its full-size output.

    The pooled value at ``(i, j)`` is the largest of the ``k * k`` convolution outputs at
    ``(k*i + a, k*j + b)``; the outputs of one phase ``(a, b)`` are a stride-``k``
    convolution of the padded input shifted by ``(a, b)``. So the result is the element-wise
    maximum of ``k * k`` strided convolutions, equal value for value, and the
    full-resolution activations are never written. That pays when the convolution widens
    the signal (the first layer: 1 -> 16 channels, 2.5-3.8x faster here in batches of 8-16); when it narrows it,
    re-reading the input for every phase costs more, and :class:`Skeleton` pools after.
    :class:`Skeleton` uses it for inference only (its backward is that of ``torch.maximum``).
    """
    if conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1 or conv.padding_mode != "zeros" \
            or conv.padding != (conv.kernel_size[0] // 2, conv.kernel_size[1] // 2):
        raise InputError(f"pooled_conv2d needs a stride-1, 'same'-padded convolution, got {conv}")
    (kh, kw), (ph, pw) = conv.kernel_size, conv.padding
    rows, cols = x.shape[-2] // k, x.shape[-1] // k
    padded = nn.functional.pad(x, (pw, pw, ph, ph))
    out: torch.Tensor | None = None
    for a in range(k):
        for b in range(k):
            window = padded[..., a:a + (rows - 1) * k + kh, b:b + (cols - 1) * k + kw]
            phase = nn.functional.conv2d(window, conv.weight, conv.bias, stride=k)
            out = phase if out is None else torch.maximum(out, phase)
    assert out is not None
    return out


class Skeleton(nn.Module):
    """Log-mel spectrograms (batch, 173, 128) -> vectors (batch, ``fc_units[-1]``)."""

    def __init__(self, config: SkeletonConfig | None = None) -> None:
        super().__init__()
        self.config = config or SkeletonConfig()
        cfg = self.config
        layers: list[nn.Module] = [nn.BatchNorm2d(1)]
        channels = 1
        for filters in cfg.conv_filters:
            layers.append(nn.Conv2d(channels, filters, cfg.kernel_size, padding=cfg.kernel_size // 2))
            if cfg.pool > 1:
                layers.append(MaxPool(cfg.pool))
            layers += [nn.BatchNorm2d(filters), nn.PReLU(), nn.Dropout(cfg.dropout)]
            channels = filters
        self.conv = nn.Sequential(*layers)
        c, f, b = cfg.conv_output_shape()
        width = c * f * b
        fc: list[nn.Module] = [nn.Flatten()]
        for i, units in enumerate(cfg.fc_units):
            fc.append(nn.Linear(width, units))
            if i < len(cfg.fc_units) - 1:
                fc += [nn.BatchNorm1d(units), nn.PReLU(), nn.Dropout(cfg.dropout)]
            width = units
        self.fc = nn.Sequential(*fc)
        # NHWC weights: oneDNN's convolutions and their gradients cost less CPU in this layout
        # (training 1.3x idle, 2.2x on a loaded box: bench/training_throughput.py); values are
        # unchanged, and state dicts load into it whatever layout they were saved in (copy_
        # keeps the parameter's own).
        for module in self.conv:
            if isinstance(module, nn.Conv2d):
                module.weight.data = module.weight.data.contiguous(memory_format=torch.channels_last)

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        """Map log-mel spectrograms (batch, 173, 128) in dB to (batch, embedding_dim)."""
        if spectrograms.ndim != 3 or tuple(spectrograms.shape[1:]) != (N_FRAMES, N_MELS):
            raise InputError(f"expected log-mels of shape (batch, {N_FRAMES}, {N_MELS}), got {tuple(spectrograms.shape)}")
        x = spectrograms.unsqueeze(1)
        layers = list(self.conv)
        i = 0
        while i < len(layers):
            layer = layers[i]
            pool = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, nn.Conv2d) and isinstance(pool, MaxPool) and layer.out_channels > layer.in_channels \
                    and not torch.is_grad_enabled():
                x = pooled_conv2d(x, layer, k=pool.k)  # same values as pool(layer(x)), see there
                i += 2
            else:
                x = layer(x)
                i += 1
        return self.fc(x)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
