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
* ``"half_bars"``: full ranks and ``bars // 2`` loops (over-complete; finds more quiet
  loops, but also more fragments that cost pair precision).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np


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
    if rule == "half_bars":
        return (shape[0], shape[1], max(1, shape[2] // 2))
    raise ValueError(f"unknown rank rule {rule!r}")


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


def bar_nmf(tensor: np.ndarray, *, n_loops: int, n_iter: int = 300, seed: int = 0,
            beta_loss: str = "kullback-leibler", sparsity: float = 0.0) -> Decomposition:
    """Full-rank Tucker (identity sound and rhythm factors), i.e. an NMF of the bar-unfolded tensor.

    Without the template bottleneck every loop may have its own spectrogram, and the
    Kullback-Leibler loss (scikit-learn's multiplicative updates, NNDSVDa start, so
    deterministic) weighs quiet loops more fairly than the squared error. ``sparsity`` is
    an L1 penalty on the layout (scikit-learn's ``alpha_W``, scaled by the number of bins),
    which discourages a loop from faintly "playing" in bars where it is absent.
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    f, t, b = tensor.shape
    v = np.asarray(tensor, dtype=np.float32).reshape(f * t, b).T
    scale = float(v.max()) or 1.0
    model = NMF(n_components=n_loops, init="nndsvda", solver="mu", beta_loss=beta_loss, max_iter=n_iter,
                tol=1e-5, random_state=seed, alpha_W=sparsity, alpha_H=0.0, l1_ratio=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        d = model.fit_transform(v / scale)
    loops, layout = _unit_loops(model.components_.reshape(n_loops, f, t), d)
    layout *= scale
    return Decomposition(loops=loops, layout=layout, ranks=(f, t, n_loops), rel_error=_rel_error(loops, layout, tensor))


def decompose(tensor: np.ndarray, *, config) -> Decomposition:
    """Decompose with the method and rank rule of an ExtractionConfig."""
    ranks = rank_rule(tensor.shape, config.rank_rule)
    if config.method == "tucker":
        return tucker(tensor, ranks=ranks, n_iter=config.n_iter, seed=config.seed)
    if config.method == "bar_nmf":
        dec = bar_nmf(tensor, n_loops=ranks[2], n_iter=config.n_iter, seed=config.seed, sparsity=config.sparsity)
        from nlc.dataset_builder.extraction.consolidate import consolidate, drop_weak

        dec = drop_weak(dec, min_share=config.min_share)
        return consolidate(dec, min_r=config.merge_r) if config.merge_r < 1.0 else dec
    raise ValueError(f"unknown decomposition method {config.method!r}")
