"""Step 5: loop refinement (paper section 3.2): drop duplicates by average hash.

Each loop's reconstructed spectrogram is read as an image (dB, scaled to 0-255) and
hashed with imagehash's average hash; two loops of a song whose hashes differ in fewer
than ``max_bits`` bits are duplicates. In each group of duplicates (connected components of
that relation) the loop with the highest SDR against its original bar is kept, the others'
activations are added into its layout column, and finally every bar is normalised.
Then (not in the paper) :func:`keep_recurring` drops the loops heard in too few of the
song's bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from nlc.errors import InputError



@dataclass(frozen=True)
class Refined:
    """Indices of kept loops (in input order), normalised layout (bars, kept), for each
    removed duplicate the index of the loop it was merged into, and the loops dropped for
    playing in too few of the song's bars (:func:`keep_recurring`)."""

    kept: list[int]
    layout: np.ndarray
    merged_into: dict[int, int]
    rare: list[int] = field(default_factory=list)


def spectrogram_hash(spec: np.ndarray, *, hash_size: int = 8):
    """imagehash average hash of a (freq, time) spectrogram, low frequencies at the bottom."""
    import imagehash
    from PIL import Image

    db = 20.0 * np.log10(np.maximum(spec, 1e-8))
    db = np.maximum(db, db.max() - 80.0)
    span = float(db.max() - db.min()) or 1.0
    img = np.round(255.0 * (db - db.min()) / span).astype(np.uint8)[::-1]
    return imagehash.average_hash(Image.fromarray(img), hash_size=hash_size)


def spectral_cosine(spectrograms: np.ndarray) -> np.ndarray:
    """Cosine similarity between the flattened spectrograms (loops, freq, time)."""
    x = spectrograms.reshape(spectrograms.shape[0], -1).astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x @ x.T


def duplicate_groups(hashes: list, *, max_bits: int = 5, cosine: np.ndarray | None = None,
                     min_cosine: float = 1.0) -> list[list[int]]:
    """Groups of indices linked by hash distances ``< max_bits`` (or, if given, by a
    spectral ``cosine`` of at least ``min_cosine``)."""
    parent = list(range(len(hashes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if hashes[i] - hashes[j] < max_bits or (cosine is not None and cosine[i, j] >= min_cosine):
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(hashes)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values())


def normalise_bars(layout: np.ndarray, *, norm: str = "l2") -> np.ndarray:
    """Scale every bar (row) to unit l2 norm, unit sum or unit max; silent bars stay 0."""
    if norm == "l2":
        size = np.linalg.norm(layout, axis=1, keepdims=True)
    elif norm == "sum":
        size = layout.sum(axis=1, keepdims=True)
    elif norm == "max":
        size = layout.max(axis=1, keepdims=True)
    else:
        raise InputError(f"unknown bar normalisation {norm!r}")
    return np.where(size > 0, layout / np.where(size > 0, size, 1.0), 0.0).astype(np.float32)


def refine(
    spectrograms: np.ndarray,
    layout: np.ndarray,
    sdrs: np.ndarray,
    *,
    hash_size: int = 8,
    max_bits: int = 5,
    norm: str = "l2",
    per_loop_peak: bool = False,
    min_cosine: float = 1.0,
) -> Refined:
    """Deduplicate loops (spectrograms (loops, freq, time), layout (bars, loops), SDR per loop in dB).

    With ``per_loop_peak`` (improved variant) each loop's activations are first divided by
    their maximum, so that the layout says *whether* a loop plays rather than how loud it
    is next to the others: otherwise a quiet percussion loop under a loud drum loop never
    reaches the pair threshold. ``min_cosine`` < 1 (improved variant) also counts loops whose
    spectrograms have at least that cosine similarity as duplicates: an over-complete
    decomposition often splits one loop over two components that play in different bars,
    and the 64-bit hash, blind to fine spectral shape, misses some of them.
    """
    hashes = [spectrogram_hash(s, hash_size=hash_size) for s in spectrograms]
    merged = np.array(layout, dtype=np.float64)
    kept: list[int] = []
    merged_into: dict[int, int] = {}
    cosine = spectral_cosine(spectrograms) if min_cosine < 1.0 else None
    for group in duplicate_groups(hashes, max_bits=max_bits, cosine=cosine, min_cosine=min_cosine):
        best = max(group, key=lambda i: (sdrs[i], -i))
        for i in group:
            if i != best:
                merged[:, best] += merged[:, i]
                merged_into[i] = best
        kept.append(best)
    kept.sort()
    out = merged[:, kept]
    if per_loop_peak:
        out = out / np.maximum(out.max(axis=0, keepdims=True), 1e-12)
    return Refined(kept=kept, layout=normalise_bars(out, norm=norm), merged_into=merged_into)


def keep_recurring(refined: Refined, *, min_share: float, threshold: float) -> Refined:
    """Drop the loops that play (layout >= ``threshold``) in fewer than ``min_share`` of the bars.

    Why: a loop is a part that recurs. On real songs (lmms projects rendered with stems) a
    component heard in under a fifth of the bars is nearly always one pattern of an
    instrument whose pattern changes (a fill, a variation, a break): 5 of 66 such loops
    matched a stem, and 10 of the 256 pairs holding one were right (docs/extraction.md). The dropped
    loops keep their part of the soft masks (separation is already done) and the layout is
    not normalised again: a kept loop's value in a bar stays relative to everything that
    sounds there. ``min_share`` 0 keeps every loop.
    """
    layout = refined.layout
    if min_share <= 0.0 or layout.shape[1] == 0:
        return refined
    keep = (layout >= threshold).mean(axis=0) >= min_share
    return Refined(kept=[k for k, ok in zip(refined.kept, keep) if ok], layout=layout[:, keep],
                   merged_into=refined.merged_into,
                   rare=sorted([*refined.rare, *(k for k, ok in zip(refined.kept, keep) if not ok)]))
