import numpy as np

from nlc.dataset_builder.extraction.consolidate import containment, drop_rare, unmix
from nlc.dataset_builder.extraction.decompose import Decomposition


def _loops():
    """Two loops with disjoint spectra (freq 12 x time 6), unit norm."""
    a = np.zeros((12, 6))
    a[:4, ::2] = 1.0
    b = np.zeros((12, 6))
    b[6:10, :] = 0.5
    return a / np.linalg.norm(a), b / np.linalg.norm(b)


def _model(dec):
    return np.einsum("bk,kft->bft", dec.layout, dec.loops)


def test_containment_scale():
    a, b = _loops()
    assert containment((2 * a + b).ravel(), a.ravel()) == 2.0
    assert containment(b.ravel(), a.ravel()) == 0.0


def test_unmix_splits_a_mixture_into_its_loops():
    a, b = _loops()
    # the mixture a+b plays in bars 0-5, a alone in bar 6: a and b are both true loops
    mix = (a + b) / np.linalg.norm(a + b)
    layout = np.zeros((7, 2))
    layout[:6, 0] = np.linalg.norm(a + b)
    layout[6, 1] = 1.0
    dec = Decomposition(loops=np.stack([mix, a]).astype(np.float32), layout=layout.astype(np.float32),
                        ranks=(12, 6, 2), rel_error=0.0)
    out = unmix(dec)
    np.testing.assert_allclose(_model(out), _model(dec), atol=1e-5)  # the model of every bar is kept
    cos = out.loops.reshape(2, -1) @ np.stack([a.ravel(), b.ravel()]).T
    k_a, k_b = int(np.argmax(cos[:, 0])), int(np.argmax(cos[:, 1]))
    assert cos[k_a, 0] > 0.99 and cos[k_b, 1] > 0.99
    assert np.all(out.layout[:, k_a] > 0.5) and np.all(out.layout[:6, k_b] > 0.5) and out.layout[6, k_b] < 1e-6


def test_unmix_keeps_separate_loops_and_merges_duplicates():
    a, b = _loops()
    layout = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], np.float32)
    dec = Decomposition(loops=np.stack([a, b]).astype(np.float32), layout=layout, ranks=(12, 6, 2), rel_error=0.0)
    out = unmix(dec)
    np.testing.assert_array_equal(out.layout, dec.layout)
    dup = Decomposition(loops=np.stack([a, a]).astype(np.float32), layout=layout, ranks=(12, 6, 2), rel_error=0.0)
    out = unmix(dup)
    assert out.loops.shape[0] == 1
    np.testing.assert_allclose(out.layout[:, 0], [1.0, 2.0, 1.0])


def test_drop_rare_drops_components_heard_in_too_few_bars():
    a, b = _loops()
    layout = np.zeros((8, 2), np.float32)
    layout[:, 0] = 1.0
    layout[3, 1] = 0.8  # one bar only: a correction, not a loop
    dec = Decomposition(loops=np.stack([a, b]).astype(np.float32), layout=layout, ranks=(12, 6, 2), rel_error=0.0)
    assert drop_rare(dec, min_bars=3, threshold=0.5).loops.shape[0] == 1
    assert drop_rare(dec, min_bars=1, threshold=0.5).loops.shape[0] == 2
