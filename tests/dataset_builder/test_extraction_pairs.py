import numpy as np

from nlc.dataset_builder.extraction.pairs import co_occurring_pairs


def test_pairs_from_thresholded_layout():
    layout = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [0.9, 0.0, 0.19]])
    # bar 0: loops 0 and 1 (0.2 counts); bar 1: 1 and 2; loop 2 at 0.19 does not play in bar 2
    assert co_occurring_pairs(layout, threshold=0.2) == [(0, 1), (1, 2)]
    assert co_occurring_pairs(layout, threshold=0.6) == []
