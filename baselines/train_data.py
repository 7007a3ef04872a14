"""Training examples for the neural baselines: positives from ``nlc-loops/``, fresh negatives per epoch.

One epoch holds every positive pair of the split (label 1) and one negative per positive
(label 0), drawn with :func:`nlc.loops.negatives.draw_recipe` from a generator
seeded by ``(seed, epoch)``, the very functions that froze the benchmark's negatives.
Negatives therefore change every epoch, yet a rerun or a resumed run sees the same ones.

What never changes is computed once and cached on disk (``cache_dir``, keyed by the
dataset fingerprint, written atomically so concurrent runs can share it):

* the audio of every loop of the split (a memory-mapped ``.npy``: loops are read from
  Parquet once, not every epoch);
* the log-mel of every loop (for the SNN, whose inputs are single loops);
* the log-mel of every positive pair's half-gain mix (for the CNN).

Negatives that replace the target by another loop (``random``, ``selected``) reuse those
caches; the within-song ones (``reverse``, ``shift``, ``rearrange``) produce new audio
and are featurised batch by batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nlc.atomic import atomic_path
from nlc.loops.negatives import BETWEEN_SONG, LoopPool, NegativeRecipe, apply_recipe, draw_recipe
from nlc.errors import InputError
from nlc.features import log_mel_batch
from nlc.spec import LOOP_SAMPLES, N_FRAMES, N_MELS

from .stft_mix import StftCache, mixed_log_mel

if TYPE_CHECKING:
    import pandas as pd

FEATURE_CHUNK: int = 64
"""Loops or pairs featurised per batch when filling the caches."""


def _cached_array(path: Path, shape: tuple[int, ...], fill: Callable[[int, int], np.ndarray], *,
                  chunk: int = FEATURE_CHUNK, progress: Callable[[str, int], None] | None = None) -> np.ndarray:
    """Memory-map ``path`` (float32, ``shape``), computing it chunk by chunk with ``fill(lo, hi)`` if absent."""
    if path.is_file():
        arr = np.load(path, mmap_mode="r")
        if arr.shape == shape and arr.dtype == np.float32:
            return arr
    with atomic_path(path) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
        for lo in range(0, shape[0], chunk):
            hi = min(lo + chunk, shape[0])
            out[lo:hi] = fill(lo, hi)
            if progress is not None:
                progress(path.name, hi - lo)
        out.flush()
        del out
    return np.load(path, mmap_mode="r")


@dataclass
class SplitData:
    """The positive pairs of one split, its loops' audio and the between-song negative pool."""

    split: str
    pairs: pd.DataFrame  # sorted by pair_id
    loop_ids: tuple[str, ...]
    audio: np.ndarray  # (n_loops, 88200) float32, memory-mapped
    source: np.ndarray  # (n_pairs,) loop row of each pair's source
    target: np.ndarray  # (n_pairs,) loop row of each pair's target
    pool: LoopPool
    cache_dir: Path
    tag: str
    _loop_mels: np.ndarray | None = None
    _pair_mixes: np.ndarray | None = None

    @property
    def n_pairs(self) -> int:
        return len(self.source)

    def loop_index(self, loop_id: str) -> int:
        return self._index[loop_id]

    def __post_init__(self) -> None:
        self._index = {loop_id: i for i, loop_id in enumerate(self.loop_ids)}

    def loop_mels(self, progress: Callable[[str, int], None] | None = None) -> np.ndarray:
        """Log-mel of every loop (n_loops, 173, 128), cached on disk."""
        if self._loop_mels is None:
            self._loop_mels = _cached_array(
                self.cache_dir / f"{self.tag}-logmel.npy", (len(self.loop_ids), N_FRAMES, N_MELS),
                lambda lo, hi: log_mel_batch(np.array(self.audio[lo:hi])), progress=progress)
        return self._loop_mels

    def pair_mixes(self, progress: Callable[[str, int], None] | None = None) -> np.ndarray:
        """Log-mel of every positive pair's half-gain mix (n_pairs, 173, 128), cached on disk."""
        if self._pair_mixes is None:
            self._pair_mixes = _cached_array(
                self.cache_dir / f"{self.tag}-posmix.npy", (self.n_pairs, N_FRAMES, N_MELS),
                lambda lo, hi: mixed_log_mel(self.audio[self.source[lo:hi]], self.audio[self.target[lo:hi]]),
                progress=progress)
        return self._pair_mixes


def load_split(dataset, split: str, *, cache_dir: str | os.PathLike[str],
               progress: Callable[[str, int], None] | None = None) -> SplitData:
    """Read one split of an opened dataset (:func:`nlc.loops.reader.open_dataset`).

    Raises InputError if the split has no pairs, or fewer than two songs (no between-song
    negatives are possible then).
    """
    pairs = dataset.pairs(split)
    if len(pairs) == 0:
        raise InputError(f"{dataset.root}: the {split!r} split has no pairs")
    loops = dataset.loops(split)
    if loops["song_id"].nunique() < 2:
        raise InputError(f"{dataset.root}: the {split!r} split needs loops from at least two songs")
    loop_ids = tuple(loops["loop_id"])
    index = {loop_id: i for i, loop_id in enumerate(loop_ids)}
    cache = Path(cache_dir)
    tag = f"{dataset.info.dataset_fingerprint[:16]}-{split}"
    audio = _cached_array(cache / f"{tag}-audio.npy", (len(loop_ids), LOOP_SAMPLES),
                          lambda lo, hi: dataset.loop_audio(loop_ids[lo:hi]), progress=progress)
    return SplitData(
        split=split, pairs=pairs, loop_ids=loop_ids, audio=audio,
        source=np.array([index[i] for i in pairs["source_id"]]),
        target=np.array([index[i] for i in pairs["target_id"]]),
        pool=LoopPool(loop_ids=loop_ids, song_ids=tuple(loops["song_id"]), roles=tuple(loops["role"])),
        cache_dir=cache, tag=tag,
    )


@dataclass(frozen=True)
class Example:
    """One training example: a positive pair (``recipe is None``) or a negative made from it."""

    pair: int
    recipe: NegativeRecipe | None

    @property
    def label(self) -> int:
        return 1 if self.recipe is None else 0


def draw_examples(data: SplitData, method: str, rng: np.random.Generator, *, shuffle: bool = True,
                  max_pairs: int | None = None) -> list[Example]:
    """All positives (or ``max_pairs`` of them, drawn with ``rng``) and one ``method`` negative each."""
    chosen = np.arange(data.n_pairs)
    if max_pairs is not None and max_pairs < data.n_pairs:
        chosen = np.sort(rng.choice(data.n_pairs, size=max_pairs, replace=False))
    songs = data.pairs["song_id"].to_numpy()
    examples = []
    for p in chosen:
        examples.append(Example(int(p), None))
        examples.append(Example(int(p), draw_recipe(method, song_id=str(songs[p]), pool=data.pool, rng=rng)))
    if shuffle:
        order = rng.permutation(len(examples))
        examples = [examples[i] for i in order]
    return examples


def _candidate_audio(data: SplitData, examples: list[Example]) -> np.ndarray:
    out = np.empty((len(examples), LOOP_SAMPLES), dtype=np.float32)
    for k, ex in enumerate(examples):
        target = data.audio[data.target[ex.pair]]
        if ex.recipe is None:
            out[k] = target
        elif ex.recipe.method in BETWEEN_SONG:
            assert ex.recipe.other_loop_id is not None  # NegativeRecipe requires it for BETWEEN_SONG methods
            out[k] = data.audio[data.loop_index(ex.recipe.other_loop_id)]
        else:
            out[k] = apply_recipe(ex.recipe, np.asarray(target))
    return out


def cnn_batch(data: SplitData, examples: list[Example], *, stft_cache: StftCache | None = None) -> np.ndarray:
    """Mixed log-mels (batch, 173, 128) of the examples; positives come from the cache."""
    mixes = data.pair_mixes()
    out = np.empty((len(examples), N_FRAMES, N_MELS), dtype=np.float32)
    fresh = [k for k, ex in enumerate(examples) if ex.recipe is not None]
    for k, ex in enumerate(examples):
        if ex.recipe is None:
            out[k] = mixes[ex.pair]
    if fresh:
        negs = [examples[k] for k in fresh]
        sources = data.audio[[data.source[ex.pair] for ex in negs]]
        out[fresh] = mixed_log_mel(sources, _candidate_audio(data, negs), cache=stft_cache)
    return out


def snn_batch(data: SplitData, examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Source and candidate log-mels (batch, 173, 128) each; cached except within-song negatives."""
    mels = data.loop_mels()
    sources = mels[[data.source[ex.pair] for ex in examples]]
    cands = np.empty_like(sources)
    fresh = []
    for k, ex in enumerate(examples):
        if ex.recipe is None:
            cands[k] = mels[data.target[ex.pair]]
        elif ex.recipe.method in BETWEEN_SONG:
            assert ex.recipe.other_loop_id is not None  # NegativeRecipe requires it for BETWEEN_SONG methods
            cands[k] = mels[data.loop_index(ex.recipe.other_loop_id)]
        else:
            fresh.append(k)
    if fresh:
        cands[fresh] = log_mel_batch(_candidate_audio(data, [examples[k] for k in fresh]))
    return sources, cands
