"""Consolidation of an over-complete decomposition (improved variant, not in the paper).

With more components than loops, an NMF splits one loop into parts (kick and snare of one
drum loop, the notes of one bass line) whose activations over bars are the same up to
scale. Components whose activations correlate at ``min_r`` or more are merged (greedily,
most correlated first): their bar spectrograms, weighted by their mean activation, are
summed into one loop, and its activation is the activation-weighted mean of theirs. Loops
that always play together cannot be told apart by any bar model, so nothing is lost that
the layout could have shown. Components that carry less than ``min_share`` of the
modelled energy (residue of an over-complete model, not a loop) are dropped.
"""

from __future__ import annotations

import numpy as np

from nlc.dataset_builder.extraction.decompose import Decomposition


def activation_correlation(layout: np.ndarray) -> np.ndarray:
    """Pearson correlation between the columns of ``layout`` (bars, loops); constant columns give 0."""
    x = layout - layout.mean(axis=0, keepdims=True)
    n = np.linalg.norm(x, axis=0)
    r = (x.T @ x) / np.maximum(np.outer(n, n), 1e-12)
    np.fill_diagonal(r, 1.0)
    return r


def consolidate(dec: Decomposition, *, min_r: float = 0.9) -> Decomposition:
    """Merge components of ``dec`` whose activations correlate at ``min_r`` or more."""
    loops = [dec.loops[k].astype(np.float64) for k in range(dec.loops.shape[0])]
    acts = [dec.layout[:, k].astype(np.float64) for k in range(dec.layout.shape[1])]
    while len(acts) > 1:
        r = activation_correlation(np.stack(acts, axis=1))
        np.fill_diagonal(r, -np.inf)
        i, j = np.unravel_index(int(np.argmax(r)), r.shape)
        if r[i, j] < min_r:
            break
        wi, wj = acts[i].mean(), acts[j].mean()
        spec = wi * loops[i] + wj * loops[j]
        norm = np.linalg.norm(spec) or 1.0
        # keep the bar model: a_i L_i + a_j L_j ~= (a_i + a_j)/2 * (w_i L_i + w_j L_j) / mean(w)
        act = (acts[i] + acts[j]) / 2.0 * norm / ((wi + wj) / 2.0 or 1.0)
        loops[i], acts[i] = spec / norm, act
        del loops[j], acts[j]
    return Decomposition(loops=np.stack(loops).astype(np.float32), layout=np.stack(acts, axis=1).astype(np.float32),
                         ranks=dec.ranks, rel_error=dec.rel_error)


def drop_weak(dec: Decomposition, *, min_share: float = 0.0) -> Decomposition:
    """Drop components carrying less than ``min_share`` of the total activation (loops have unit norm)."""
    total = dec.layout.sum()
    if min_share <= 0 or total <= 0:
        return dec
    keep = dec.layout.sum(axis=0) >= min_share * total
    if not keep.any():
        keep[np.argmax(dec.layout.sum(axis=0))] = True
    return Decomposition(loops=dec.loops[keep], layout=dec.layout[:, keep], ranks=dec.ranks, rel_error=dec.rel_error)
