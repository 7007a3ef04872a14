import numpy as np
import pytest

from nlc.errors import InputError
from nlc.dataset_builder.extraction.refine import (Refined, duplicate_groups, keep_recurring, normalise_bars, refine,
                                                  spectrogram_hash)


def _spectrograms():
    rng = np.random.default_rng(0)
    low = np.zeros((32, 16), np.float32)
    low[:8] = 1.0
    high = np.zeros((32, 16), np.float32)
    high[20:, ::4] = 1.0
    near_low = low * (1 + 0.01 * rng.random(low.shape)).astype(np.float32)
    return np.stack([low, high, near_low]) + 1e-4


def test_near_identical_spectrograms_share_a_hash():
    s = _spectrograms()
    h = [spectrogram_hash(x) for x in s]
    assert h[0] - h[2] < 5
    assert h[0] - h[1] >= 5
    assert duplicate_groups(h, max_bits=5) == [[0, 2], [1]]


def test_refine_keeps_highest_sdr_and_sums_activations():
    s = _spectrograms()
    layout = np.array([[1.0, 0.0, 0.5], [0.0, 2.0, 0.0], [0.3, 1.0, 0.3]], np.float32)
    out = refine(s, layout, np.array([3.0, 10.0, 7.0]), norm="max")
    assert out.kept == [1, 2]
    assert out.merged_into == {0: 2}
    expected = np.array([[0.0, 1.5], [2.0, 0.0], [1.0, 0.6]])
    np.testing.assert_allclose(out.layout, expected / expected.max(axis=1, keepdims=True), rtol=1e-6)


@pytest.mark.parametrize("norm,fn", [("l2", np.linalg.norm), ("sum", np.sum), ("max", np.max)])
def test_bar_normalisation(norm, fn):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    out = normalise_bars(x, norm=norm)
    np.testing.assert_allclose(fn(out[[0, 2]], axis=1), 1.0, rtol=1e-6)
    assert np.all(out[1] == 0)
    with pytest.raises(InputError):
        normalise_bars(x, norm="nope")


def test_keep_recurring_drops_loops_heard_in_too_few_bars():
    # 10 bars; loop 4 plays in 5, loop 7 in 2 (a fill), loop 9 in 1 bar at 0.6 and below the threshold elsewhere
    layout = np.zeros((10, 3), np.float32)
    layout[:5, 0] = 1.0
    layout[[3, 8], 1] = 0.9
    layout[:, 2] = 0.3
    layout[6, 2] = 0.6
    refined = Refined(kept=[4, 7, 9], layout=layout, merged_into={2: 4})
    out = keep_recurring(refined, min_share=0.2, threshold=0.5)
    assert out.kept == [4, 7] and out.rare == [9]
    assert out.merged_into == {2: 4}
    np.testing.assert_array_equal(out.layout, layout[:, :2])  # not normalised again
    assert keep_recurring(refined, min_share=0.25, threshold=0.5).kept == [4]
    assert keep_recurring(refined, min_share=0.0, threshold=0.5) is refined
    empty = Refined(kept=[], layout=np.zeros((10, 0), np.float32), merged_into={})
    assert keep_recurring(empty, min_share=0.2, threshold=0.5).kept == []


def test_min_loop_share_is_validated_and_off_in_the_paper_variant():
    from nlc.dataset_builder.extraction import ExtractionConfig

    assert ExtractionConfig().min_loop_share == 0.2 and ExtractionConfig.paper().min_loop_share == 0.0
    for bad in (-0.1, 1.5):
        with pytest.raises(InputError, match="min_loop_share"):
            ExtractionConfig(min_loop_share=bad)
