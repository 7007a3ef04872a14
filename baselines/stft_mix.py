"""Log-mels of mixed loop pairs, mixed in the STFT domain with a per-loop STFT cache.

The CNN baseline reads the pair ``(a, b)`` as one signal, ``a / 2 + b / 2``. The STFT is
linear, so ``STFT(a/2 + b/2) = (STFT(a) + STFT(b)) / 2``: each *distinct* loop's complex
STFT is computed once, cached under a hash of its samples, and every pair it takes part
in only pays for the mixing, power, mel projection and log. In ranking, 100 queries meet
the same 100 candidates, so 10,000 pairs cost 200 STFTs instead of 10,000.

The result equals :func:`nlc.features.log_mel_batch` of the audio-domain mix up to float
rounding (a test pins it); the STFT parameters are taken from :mod:`nlc.features`, never
restated here.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import torch

from nlc.features import LOOP_SAMPLES, N_FFT, N_FRAMES, N_MELS, log_mel_from_stft, stft_batch

MIX_GAIN: float = 0.5
"""Gain applied to each loop of a pair before summing (the paper's CNN input)."""
DEFAULT_CACHE_LOOPS: int = 256
"""STFTs kept by default: 256 x 1.42 MB (1025 bins x 173 frames, complex64) = 363 MB."""


def loop_key(audio: np.ndarray) -> bytes:
    """A 128-bit BLAKE2b digest of a loop's float32 samples: equal audio, equal key."""
    return hashlib.blake2b(np.ascontiguousarray(audio, dtype=np.float32).tobytes(), digest_size=16).digest()


class StftCache:
    """LRU cache of complex loop STFTs keyed by :func:`loop_key`.

    Parameters
    ----------
    max_loops : int, default 256
        STFTs kept (1.42 MB each); the least recently used are dropped first.
    """

    def __init__(self, *, max_loops: int = DEFAULT_CACHE_LOOPS) -> None:
        if max_loops < 0:
            raise ValueError(f"max_loops must be >= 0, got {max_loops}")
        self.max_loops = int(max_loops)
        self._store: OrderedDict[bytes, torch.Tensor] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._store)

    def _lookup(self, audio: np.ndarray) -> tuple[list[bytes], dict[bytes, torch.Tensor]]:
        """Keys of the loops and their STFTs, computing only the uncached distinct ones."""
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != LOOP_SAMPLES:
            raise ValueError(f"StftCache: expected audio of shape (batch, {LOOP_SAMPLES}), got {x.shape}")
        keys = [loop_key(row) for row in x]
        found: dict[bytes, torch.Tensor] = {}
        missing: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key in found or key in missing:
                continue
            hit = self._store.get(key)
            if hit is None:
                missing[key] = i
            else:
                self._store.move_to_end(key)
                found[key] = hit
        self.hits += len(found)
        self.misses += len(missing)
        if missing:
            fresh = stft_batch(x[list(missing.values())])
            for key, spec in zip(missing, fresh):
                found[key] = spec
                self._remember(key, spec)
        return keys, found

    def stfts(self, audio: np.ndarray) -> torch.Tensor:
        """STFTs (batch, 1025, 173) of a batch of loops, computing only the uncached distinct ones."""
        keys, found = self._lookup(audio)
        return torch.stack([found[key] for key in keys])

    def mixed_stfts(self, sources: np.ndarray, targets: np.ndarray) -> torch.Tensor:
        """``MIX_GAIN * (STFT(source) + STFT(target))`` per pair, shape (batch, 1025, 173)."""
        keys, found = self._lookup(np.concatenate([sources, targets]))
        n = len(sources)
        out = torch.empty((n, N_FFT // 2 + 1, N_FRAMES), dtype=torch.complex64)
        for i in range(n):
            torch.add(found[keys[i]], found[keys[n + i]], out=out[i])
        return out.mul_(MIX_GAIN)

    def _remember(self, key: bytes, spec: torch.Tensor) -> None:
        if self.max_loops == 0:
            return
        self._store[key] = spec
        while len(self._store) > self.max_loops:
            self._store.popitem(last=False)


def mixed_log_mel(sources: np.ndarray, targets: np.ndarray, *, cache: StftCache | None = None) -> np.ndarray:
    """Log-mels (batch, 173, 128) of ``sources / 2 + targets / 2``, mixed in the STFT domain.

    Parameters
    ----------
    sources, targets : np.ndarray, shape (batch, 88200)
        Pair ``i`` is ``(sources[i], targets[i])``.
    cache : StftCache or None
        Reuses (and fills) cached loop STFTs; ``None`` computes them all afresh.
    """
    sources = np.asarray(sources, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    if sources.shape != targets.shape:
        raise ValueError(f"sources {sources.shape} and targets {targets.shape} must have the same shape")
    if len(sources) == 0:
        return np.zeros((0, N_FRAMES, N_MELS), dtype=np.float32)
    if cache is None:
        # Scaling by 0.5 is exact in floating point, so 0.5 * (A + B) == 0.5 * A + 0.5 * B.
        return log_mel_from_stft(stft_batch(sources).add_(stft_batch(targets)).mul_(MIX_GAIN))
    return log_mel_from_stft(cache.mixed_stfts(sources, targets))
