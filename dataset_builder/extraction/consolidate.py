"""Consolidation of a bar decomposition into loops (improved variant, not in the paper).

*Unmixing* (after the second factorisation of Smith et al.'s Unmixer, ISMIR 2019, done
greedily on the loop spectrograms): a bar NMF is not unique, and when two loops nearly always
play together it prefers one component for their *mixture* plus small "correction"
components (one loop alone in the few bars where the other rests), instead of the two
loops. A component whose spectrogram contains another component's spectrogram (at a scale
``a`` that fits under it on most of that component's mass) is such a mixture: the contained
loop is subtracted from it, and the contained loop's activation gains ``a`` times the
mixture's, so the model of every bar is unchanged. What is left becomes a loop of its own, or
is dropped when the other components explain nearly all of it (duplicates end there too).

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

from nlc.dataset_builder.extraction.decompose import Decomposition, refit


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


def containment(outer: np.ndarray, inner: np.ndarray, *, quantile: float = 0.3, floor: float = 0.1) -> float:
    """Largest scale ``a`` such that ``a * inner <= outer`` on all but ``quantile`` of ``inner``'s
    mass (flattened non-negative spectrograms; only bins above ``floor`` x its peak count)."""
    big = inner > floor * inner.max()
    ratio, weight = outer[big] / inner[big], inner[big]
    order = np.argsort(ratio)
    cum = np.cumsum(weight[order]) / weight.sum()
    return float(ratio[order][min(int(np.searchsorted(cum, quantile)), ratio.size - 1)])


def unmix(dec: Decomposition, *, quantile: float = 0.3, min_gain: float = 0.15, min_left: float = 0.25,
          max_steps: int = 64) -> Decomposition:
    """Split mixture components into the loops they contain (see the module docstring).

    Repeatedly takes the (mixture ``k``, loop ``j``) with the largest *gain* (mass of
    ``a * loop_j`` over the mass of ``k``; at least ``min_gain``, default 0.15), subtracts it
    from ``k`` and adds ``a`` x ``k``'s activation to ``j``'s; ``k`` is dropped when less
    than ``min_left`` (0.25) of its mass remains. ``quantile`` (0.3): share of the inner
    loop's mass allowed to poke out of the mixture (magnitudes of a sum are not the sum of
    magnitudes where the loops overlap). At most ``max_steps`` subtractions.
    """
    specs = [dec.loops[k].ravel().astype(np.float64) for k in range(dec.loops.shape[0])]
    acts = [dec.layout[:, k].astype(np.float64) for k in range(dec.layout.shape[1])]
    mass = [float(x.sum()) for x in specs]
    for _ in range(max_steps):
        best = (min_gain, -1, -1, 0.0)
        for k in range(len(specs)):
            for j in range(len(specs)):
                if j != k and specs[k].sum() > 0 and specs[j].max() > 0:
                    a = containment(specs[k], specs[j], quantile=quantile)
                    gain = a * specs[j].sum() / specs[k].sum()
                    if gain >= best[0]:
                        best = (gain, k, j, a)
        gain, k, j, a = best
        if k < 0:
            break
        acts[j] = acts[j] + a * acts[k]
        rest = np.maximum(specs[k] - a * specs[j], 0.0)
        if rest.sum() < min_left * mass[k] or gain >= 1.0 - min_left:
            del specs[k], acts[k], mass[k]
        else:
            norm = float(np.linalg.norm(rest))
            specs[k], acts[k], mass[k] = rest / norm, acts[k] * norm, float(rest.sum() / norm)
    shape = dec.loops.shape[1:]
    return Decomposition(loops=np.stack([x.reshape(shape) for x in specs]).astype(np.float32),
                         layout=np.stack(acts, axis=1).astype(np.float32), ranks=dec.ranks, rel_error=dec.rel_error)


def activity(layout: np.ndarray, *, threshold: float, per_loop_peak: bool = True, bar_norm: str = "max") -> np.ndarray:
    """Boolean (bars, loops): where each loop plays, on the scale refinement gives the layout."""
    from nlc.dataset_builder.extraction.refine import normalise_bars

    x = np.asarray(layout, dtype=np.float64)
    if per_loop_peak:
        x = x / np.maximum(x.max(axis=0, keepdims=True), 1e-12)
    return normalise_bars(x, norm=bar_norm) >= threshold


def drop_rare(dec: Decomposition, *, min_bars: int = 3, threshold: float = 0.5, per_loop_peak: bool = True,
              bar_norm: str = "max") -> Decomposition:
    """Drop components that play (see :func:`activity`) in fewer than ``min_bars`` bars.

    A loop is a pattern that repeats; a component heard in one or two bars is a correction
    of the model there (the synthetic corpus has no loop playing fewer than 3 bars), and each
    pair it forms is most likely wrong. The strongest component is always kept.
    """
    on = activity(dec.layout, threshold=threshold, per_loop_peak=per_loop_peak, bar_norm=bar_norm)
    keep = on.sum(axis=0) >= min_bars
    if not keep.any():
        keep[np.argmax(dec.layout.sum(axis=0))] = True
    return Decomposition(loops=dec.loops[keep], layout=dec.layout[:, keep], ranks=dec.ranks, rel_error=dec.rel_error)


def drop_weak(dec: Decomposition, *, min_share: float = 0.0) -> Decomposition:
    """Drop components carrying less than ``min_share`` of the total activation (loops have unit norm)."""
    total = dec.layout.sum()
    if min_share <= 0 or total <= 0:
        return dec
    keep = dec.layout.sum(axis=0) >= min_share * total
    if not keep.any():
        keep[np.argmax(dec.layout.sum(axis=0))] = True
    return Decomposition(loops=dec.loops[keep], layout=dec.layout[:, keep], ranks=dec.ranks, rel_error=dec.rel_error)


def consolidate_decomposition(tensor: np.ndarray, dec: Decomposition, *, config) -> Decomposition:
    """Step 3b: turn a factorisation of ``tensor`` into loops, with the settings of an ExtractionConfig.

    After ``bar_nmf`` (default variant), in this order: weak components dropped
    (``min_share``), mixtures unmixed (``unmix_min_gain``), ``refit_rounds`` x (50 more KL
    updates + unmix again), components with correlated activations merged (``merge_r``).
    For every method, components that play in fewer than ``min_loop_bars`` bars are dropped.
    """
    c = config
    if c.method == "bar_nmf":
        dec = drop_weak(dec, min_share=c.min_share)
        if c.unmix_min_gain < 1.0:
            dec = unmix(dec, quantile=c.unmix_quantile, min_gain=c.unmix_min_gain)
            for _ in range(c.refit_rounds):
                dec = unmix(refit(tensor, dec, sparsity=c.sparsity), quantile=c.unmix_quantile,
                            min_gain=c.unmix_min_gain)
        dec = consolidate(dec, min_r=c.merge_r) if c.merge_r < 1.0 else dec
    if c.min_loop_bars > 1:
        dec = drop_rare(dec, min_bars=c.min_loop_bars, threshold=c.pair_threshold, per_loop_peak=c.per_loop_peak,
                        bar_norm=c.bar_norm)
    return dec
