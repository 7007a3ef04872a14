import numpy as np
import pytest

from nlc.errors import InputError
from nlc.dataset_builder.extraction.tensor import bar_tensor


def test_shape_and_repeated_bars_give_equal_slices():
    rng = np.random.default_rng(0)
    bar = rng.random((10, 40)).astype(np.float32)
    spec = np.concatenate([bar, bar, bar], axis=1)
    x = bar_tensor(spec, np.array([0.0, 40.0, 80.0, 120.0]), frames_per_bar=16)
    assert x.shape == (10, 16, 3)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x[:, :, 0], x[:, :, 1], atol=1e-6)


def test_bars_of_different_length_are_resampled_to_the_same_grid():
    ramp = np.linspace(0, 1, 50, dtype=np.float32)
    spec = np.concatenate([np.interp(np.linspace(0, 1, 30), np.linspace(0, 1, 50), ramp), ramp])[None, :]
    x = bar_tensor(spec.astype(np.float32), np.array([0.0, 30.0, 80.0]), frames_per_bar=8)
    np.testing.assert_allclose(x[0, :, 0], x[0, :, 1], atol=0.03)


@pytest.mark.parametrize("bounds", [[0.0], [5.0, 5.0], [10.0, 2.0]])
def test_rejects_bad_downbeats(bounds):
    with pytest.raises(InputError):
        bar_tensor(np.ones((4, 20), np.float32), np.array(bounds), frames_per_bar=8)
