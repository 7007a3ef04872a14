import numpy as np
import pytest

from nlc.errors import InputError
from nlc.dataset_builder.extraction.config import ExtractionConfig
from nlc.dataset_builder.extraction.consolidate import consolidate_decomposition
from nlc.dataset_builder.extraction.decompose import bar_nmf, decompose, rank_rule, tucker


def _toy_tensor(seed=0):
    """Three loops with distinct spectra and rhythms, played in a known layout of 12 bars."""
    rng = np.random.default_rng(seed)
    loops = np.zeros((3, 16, 8), np.float32)
    loops[0, :4, ::2] = 1.0
    loops[1, 5:10, :] = 0.5
    loops[2, 12:, 1::4] = 2.0
    layout = (rng.random((12, 3)) < 0.6).astype(np.float32)
    layout[:3] = np.eye(3)
    x = np.einsum("kft,bk->ftb", loops, layout) + 1e-3
    return x.astype(np.float32), layout


def test_smith_rank_rule():
    assert rank_rule((64, 32, 40), "smith") == (12, 7, 9)
    assert rank_rule((64, 32, 40), "full") == (64, 32, 9)
    with pytest.raises(InputError):
        rank_rule((4, 4, 4), "nope")


@pytest.mark.parametrize("fn", ["tucker", "bar_nmf"])
def test_decomposition_is_deterministic_and_fits(fn):
    x, _ = _toy_tensor()
    if fn == "tucker":
        run = lambda: tucker(x, ranks=(6, 4, 3), n_iter=200, seed=3)  # noqa: E731
    else:
        run = lambda: bar_nmf(x, n_loops=3, n_iter=300, seed=3)  # noqa: E731
    a, b = run(), run()
    np.testing.assert_array_equal(a.layout, b.layout)
    assert a.loops.shape[0] == 3 and a.layout.shape == (12, 3)
    np.testing.assert_allclose(np.linalg.norm(a.loops.reshape(3, -1), axis=1), 1.0, rtol=1e-4)
    assert np.all(a.layout >= 0) and np.all(a.loops >= 0)
    assert a.rel_error < 0.3


def test_bar_nmf_recovers_toy_layout():
    x, layout = _toy_tensor()
    dec = bar_nmf(x, n_loops=3, n_iter=500, seed=0)
    corr = np.corrcoef(dec.layout.T, layout.T)[:3, 3:]
    assert np.all(corr.max(axis=0) > 0.95)


def test_decompose_dispatches_on_config():
    x, _ = _toy_tensor()
    dec = decompose(x, config=ExtractionConfig(method="tucker", rank_rule="smith", n_iter=20))
    assert dec.ranks == rank_rule(x.shape, "smith")


def test_smith_plus1_rank_and_default_pipeline_recovers_toy_loops():
    assert rank_rule((64, 32, 40), "smith_plus1") == (64, 32, 10)
    x, layout = _toy_tensor()
    def default(x):
        config = ExtractionConfig()
        return consolidate_decomposition(x, decompose(x, config=config), config=config)

    dec = default(x)
    np.testing.assert_array_equal(dec.layout, default(x).layout)  # same seed, same numbers
    corr = np.corrcoef(dec.layout.T, layout.T)[: dec.layout.shape[1], dec.layout.shape[1]:]
    assert np.all(corr.max(axis=0) > 0.9)  # every true loop has a component playing where it plays
