"""Step 3: non-negative Tucker decomposition of the bar tensor into loops.

``X (freq x time x bar) ~= G x1 W x2 H x3 D``: ``W`` holds sound templates (spectra),
``H`` rhythm templates (envelopes within a bar), the core ``G`` the recipes that combine
them, and ``D`` (bar x loop) the loop layout. Loop ``k``'s spectrogram is
``G[:, :, k] x1 W x2 H``. The paper variant runs tensorly's multiplicative updates from a
seeded random start. The default variant (``bar_nmf``) is the full-rank special case
(``W``, ``H`` identities), i.e. an NMF of the bar-unfolded tensor with the KL divergence:
measured on the synthetic corpus, the template bottleneck of Smith's ranks makes each loop
a mixture of several true loops, and the squared error ignores quiet loops. Both are
deterministic (seeded).

Rank rules (documented choice, compared in ``docs/extraction.md``):

* ``"smith"``: ``floor((dim - 1) ** 0.6)`` for every mode, as in Smith & Goto's reference
  extractor (e.g. 64 mels -> 12 sound templates, 32 frames -> 7 rhythms, 40 bars -> 9 loops).
* ``"full"``: full frequency and time ranks (no template bottleneck, so a loop's
  spectrogram is not forced to share a few templates with the others) and
  ``floor((bars - 1) ** 0.6)`` loops.
* ``"smith_plus1"`` (default): full frequency and time ranks and
  ``floor((bars - 1) ** 0.6) + 1`` loops: a two-bar loop needs two one-bar components, and
  the unmixing step (``consolidate.unmix``) absorbs the spare ones.
* ``"half_bars"``: full ranks and ``bars // 2`` loops (over-complete; finds more quiet
  loops, but also more fragments that cost pair precision).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from nlc.errors import InputError


_EPS = 1e-12


@dataclass(frozen=True)
class Decomposition:
    """Loop spectrograms (loops, freq, time) with unit Frobenius norm, layout (bars, loops)
    carrying the scale, the ranks used and the relative reconstruction error."""

    loops: np.ndarray
    layout: np.ndarray
    ranks: tuple[int, int, int]
    rel_error: float


def rank_rule(shape: tuple[int, int, int], rule: str = "smith") -> tuple[int, int, int]:
    """Core ranks (sound templates, rhythm templates, loops) for a tensor of ``shape``."""
    smith = tuple(max(1, int(math.floor((d - 1) ** 0.6))) for d in shape)
    if rule == "smith":
        return smith  # type: ignore[return-value]
    if rule == "full":
        return (shape[0], shape[1], smith[2])
    if rule == "smith_plus1":
        return (shape[0], shape[1], min(shape[2], smith[2] + 1))
    if rule == "half_bars":
        return (shape[0], shape[1], max(1, shape[2] // 2))
    raise InputError(f"unknown rank rule {rule!r}")


def _unit_loops(loops: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale loop spectrograms (K, F, T) to unit norm, moving the scale into the layout (B, K)."""
    norms = np.linalg.norm(loops.reshape(loops.shape[0], -1), axis=1)
    norms = np.where(norms > 0, norms, 1.0)
    return (loops / norms[:, None, None]).astype(np.float32), (d * norms[None, :]).astype(np.float32)


def _rel_error(loops: np.ndarray, layout: np.ndarray, x: np.ndarray) -> float:
    """Relative Frobenius error of ``sum_k layout[:, k] loops[k]`` against ``x`` (F, T, B)."""
    approx = (layout @ loops.reshape(loops.shape[0], -1)).T.reshape(x.shape)
    return float(np.linalg.norm(approx - x) / (np.linalg.norm(x) or 1.0))


def tucker(tensor: np.ndarray, *, ranks: tuple[int, int, int], n_iter: int = 100, seed: int = 0) -> Decomposition:
    """Non-negative Tucker decomposition (tensorly, multiplicative updates, random init)."""
    import tensorly as tl
    from tensorly.decomposition import non_negative_tucker

    tl.set_backend("numpy")
    x = np.asarray(tensor, dtype=np.float32)
    scale = float(x.max()) or 1.0
    result = non_negative_tucker(x / scale, rank=list(ranks), n_iter_max=n_iter, init="random",
                                 random_state=seed, tol=1e-6)
    core, factors = result
    w, h, d = (np.asarray(f) for f in factors)
    loops, layout = _unit_loops(np.einsum("abk,fa,tb->kft", np.asarray(core), w, h, optimize=True), d)
    layout *= scale
    return Decomposition(loops=loops, layout=layout, ranks=tuple(int(r) for r in ranks),  # type: ignore[arg-type]
                         rel_error=_rel_error(loops, layout, x))


def _bar_matrix(tensor: np.ndarray) -> tuple[np.ndarray, float]:
    """The bar-unfolded tensor (bars, bins), divided by its mean, and that mean (the KL updates
    run on data of order 1; callers multiply activations back by it)."""
    f, t, b = tensor.shape
    v = np.asarray(tensor, dtype=np.float64).reshape(f * t, b).T
    scale = float(v.mean()) or 1.0
    return v / scale, scale


def bar_nmf(tensor: np.ndarray, *, n_loops: int, n_iter: int = 150, seed: int = 0,
            sparsity: float = 0.0) -> Decomposition:
    """Full-rank Tucker (identity sound and rhythm factors), i.e. an NMF of the bar-unfolded tensor.

    Without the template bottleneck every loop may have its own spectrogram, and the
    Kullback-Leibler loss weighs quiet loops more fairly than the squared error.
    Multiplicative updates from scikit-learn's deterministic NNDSVDa start (one of its KL
    steps); after every update each loop's activations are scaled to a peak of 1 and the
    scale moved into its spectrogram, so that ``sparsity`` (an L1 penalty on the loop
    spectrograms, relative to the mean of the data; 0 = off) measures spectral mass and not
    an arbitrary split of scale. With ``n_loops`` loops, ``n_iter`` (150) updates of each factor.
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    f, t, b = tensor.shape
    v, scale = _bar_matrix(tensor)
    start = NMF(n_components=n_loops, init="nndsvda", solver="mu", beta_loss="kullback-leibler", max_iter=1,
                random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = np.maximum(start.fit_transform(v), 1e-6)
    h = np.maximum(start.components_, 1e-6)
    w, h = kl_updates(v, w, h, n_iter=n_iter, sparsity=sparsity)
    loops, layout = _unit_loops(h.reshape(n_loops, f, t), w * scale)
    return Decomposition(loops=loops, layout=layout, ranks=(f, t, n_loops), rel_error=_rel_error(loops, layout, tensor))


def kl_updates(v: np.ndarray, w: np.ndarray, h: np.ndarray, *, n_iter: int,
               sparsity: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``n_iter`` KL multiplicative updates of ``v (bars, bins) ~= w (bars, K) @ h (K, bins)``;
    activations rescaled to unit peak after each step (see :func:`bar_nmf`)."""
    w, h = w.astype(np.float64).copy(), h.astype(np.float64).copy()
    for _ in range(n_iter):
        h *= (w.T @ (v / np.maximum(w @ h, _EPS))) / (w.sum(axis=0)[:, None] + sparsity)
        w *= ((v / np.maximum(w @ h, _EPS)) @ h.T) / np.maximum(h.sum(axis=1)[None, :], _EPS)
        peak = np.maximum(w.max(axis=0), _EPS)
        w /= peak
        h *= peak[:, None]
    return w, h


def refit(tensor: np.ndarray, dec: Decomposition, *, n_iter: int = 50, sparsity: float = 0.0) -> Decomposition:
    """Continue the KL updates from ``dec`` (e.g. after :func:`~.consolidate.unmix` changed it)."""
    f, t, _ = tensor.shape
    v, scale = _bar_matrix(tensor)
    w, h = kl_updates(v, dec.layout / scale, dec.loops.reshape(dec.loops.shape[0], -1), n_iter=n_iter,
                      sparsity=sparsity)
    loops, layout = _unit_loops(h.reshape(-1, f, t), w * scale)
    return Decomposition(loops=loops, layout=layout, ranks=dec.ranks, rel_error=_rel_error(loops, layout, tensor))


def decompose(tensor: np.ndarray, *, config) -> Decomposition:
    """Factorise with the method and rank rule of an ExtractionConfig (``tucker`` or ``bar_nmf``).

    The consolidation that follows in the default variant is
    :func:`~nlc.dataset_builder.extraction.consolidate.consolidate_decomposition`.
    """
    c = config
    ranks = rank_rule(tensor.shape, c.rank_rule)
    if c.method == "tucker":
        return tucker(tensor, ranks=ranks, n_iter=c.n_iter, seed=c.seed)
    if c.method == "bar_nmf":
        return bar_nmf(tensor, n_loops=ranks[2], n_iter=c.n_iter, seed=c.seed, sparsity=c.sparsity)
    raise InputError(f"unknown decomposition method {c.method!r}")
