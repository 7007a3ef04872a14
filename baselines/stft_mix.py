"""Log-mels of mixed loop pairs, mixed in the STFT domain with a per-loop STFT cache.

The CNN baseline reads the pair ``(a, b)`` as one signal, ``a / 2 + b / 2``. The STFT is
linear, so ``STFT(a/2 + b/2) = STFT(a)/2 + STFT(b)/2``: each *distinct* loop's STFT is
computed once, cached under a hash of its samples, and every pair it takes part in only
pays for the mixing, power, mel projection and log. In ranking, 100 queries meet the same
100 candidates, so 10,000 pairs cost 200 STFTs instead of 10,000.

The cache holds each STFT already scaled by :data:`MIX_GAIN` (exact: a power of two) as two
contiguous float32 planes, real and imaginary, because the per-pair work is then three
plain passes over contiguous memory (add, square, multiply-add) instead of strided
complex arithmetic. The result equals :func:`nlc.features.log_mel_batch` of the
audio-domain mix up to float rounding (a test pins it); the STFT parameters are taken
from :mod:`nlc.features`, never restated here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import torch
import xxhash

from nlc.errors import InputError
from nlc.features import log_mel_from_power, stft_batch

from nlc.spec import LOOP_SAMPLES, N_FFT, N_FRAMES, N_MELS

MIX_GAIN: float = 0.5
"""Gain applied to each loop of a pair before summing (the paper's CNN input)."""
DEFAULT_CACHE_LOOPS: int = 256
"""STFTs kept by default: 256 x 1.42 MB (2 planes x 1025 bins x 173 frames, float32) = 363 MB."""
STFT_CHUNK: int = 4
"""Loops transformed per call to :func:`nlc.features.stft_batch` when filling the cache.

Small chunks keep every temporary under glibc's 32 MB mmap threshold, so its memory is
reused instead of being mapped (and page-faulted) afresh for each call."""


def loop_key(audio: np.ndarray) -> bytes:
    """A 128-bit XXH3 digest of a loop's float32 samples: equal audio, equal key.

    XXH3 hashes at memory speed (about 15 us for a 2-s loop here, against 0.5 ms for
    BLAKE2b); the key only has to tell loops apart, not resist an adversary.
    """
    # ndarray is a buffer; numpy's stubs declare __buffer__ only for Python >= 3.12
    return xxhash.xxh3_128_digest(np.ascontiguousarray(audio, dtype=np.float32))  # type: ignore[arg-type]


def _planes(audio: np.ndarray) -> torch.Tensor:
    """``MIX_GAIN * STFT`` of loops as (batch, 2, 1025, 173) float32: real, then imaginary plane."""
    spec = stft_batch(audio).mul_(MIX_GAIN)
    return torch.view_as_real(spec).permute(0, 3, 1, 2).contiguous()


class StftCache:
    """LRU cache of scaled loop STFTs (:func:`_planes`) keyed by :func:`loop_key`.

    Parameters
    ----------
    max_loops : int, default 256
        STFTs kept (1.42 MB each); the least recently used are dropped first. 0 keeps
        none, which still shares the work between repeated loops of one call.
    """

    def __init__(self, *, max_loops: int = DEFAULT_CACHE_LOOPS) -> None:
        if max_loops < 0:
            raise InputError(f"max_loops must be >= 0, got {max_loops}")
        self.max_loops = int(max_loops)
        self._store: OrderedDict[bytes, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()  # scorers fill one cache from several threads
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._store)

    def lookup(self, audio: np.ndarray) -> tuple[list[bytes], dict[bytes, torch.Tensor]]:
        """Keys of the loops (batch, 88200) and their scaled STFT planes, computing only the uncached distinct ones.

        Safe to call from several threads; two threads that miss the same loop at once both
        compute it (the same planes), which costs a little work but never a wrong result.
        """
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != LOOP_SAMPLES:
            raise InputError(f"StftCache: expected audio of shape (batch, {LOOP_SAMPLES}), got {x.shape}")
        keys = [loop_key(row) for row in x]
        found: dict[bytes, torch.Tensor] = {}
        missing: dict[bytes, int] = {}
        with self._lock:
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
        todo = list(missing.items())
        for lo in range(0, len(todo), STFT_CHUNK):  # outside the lock: other threads go on meanwhile
            part = todo[lo:lo + STFT_CHUNK]
            for (key, _), planes in zip(part, _planes(x[[i for _, i in part]])):
                found[key] = planes
                self._remember(key, planes)
        return keys, found

    def mixed_power(self, sources: np.ndarray, targets: np.ndarray) -> torch.Tensor:
        """Power spectra ``|MIX_GAIN * (STFT(source) + STFT(target))|**2`` per pair, shape (batch, 1025, 173)."""
        keys, found = self.lookup(np.concatenate([sources, targets]))
        n = len(sources)
        power = torch.empty((n, N_FFT // 2 + 1, N_FRAMES), dtype=torch.float32)
        imag = torch.empty((N_FFT // 2 + 1, N_FRAMES), dtype=torch.float32)
        with torch.no_grad():
            for i in range(n):
                a, b = found[keys[i]], found[keys[n + i]]
                torch.add(a[0], b[0], out=power[i]).square_()
                torch.add(a[1], b[1], out=imag)
                power[i].addcmul_(imag, imag)
        return power

    def _remember(self, key: bytes, planes: torch.Tensor) -> None:
        if self.max_loops == 0:
            return
        with self._lock:
            self._store[key] = planes
            while len(self._store) > self.max_loops:
                self._store.popitem(last=False)


def mixed_log_mel(sources: np.ndarray, targets: np.ndarray, *, cache: StftCache | None = None) -> np.ndarray:
    """Log-mels (batch, 173, 128) of ``sources / 2 + targets / 2``, mixed in the STFT domain.

    Parameters
    ----------
    sources, targets : np.ndarray, shape (batch, 88200)
        Pair ``i`` is ``(sources[i], targets[i])``.
    cache : StftCache or None
        Reuses (and fills) cached loop STFTs; ``None`` computes them afresh for this call.

    Notes
    -----
    Memory grows with the batch (0.7 MB of power per pair); callers scoring many pairs
    pass chunks of a few dozen, which also keeps the work inside the CPU caches.
    """
    sources = np.asarray(sources, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    if sources.shape != targets.shape:
        raise InputError(f"sources {sources.shape} and targets {targets.shape} must have the same shape")
    if len(sources) == 0:
        return np.zeros((0, N_FRAMES, N_MELS), dtype=np.float32)
    if cache is None:
        cache = StftCache(max_loops=0)
    return log_mel_from_power(cache.mixed_power(sources, targets))
