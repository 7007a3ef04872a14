import numpy as np

from nlc.dataset_builder.extraction.pairs import co_occurring_pairs


def test_pairs_from_thresholded_layout():
    layout = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [0.9, 0.0, 0.19]])
    # bar 0: loops 0 and 1 (0.2 counts); bar 1: 1 and 2; loop 2 at 0.19 does not play in bar 2
    assert co_occurring_pairs(layout, threshold=0.2) == [(0, 1), (1, 2)]
    assert co_occurring_pairs(layout, threshold=0.6) == []


def test_two_bar_halves_are_not_paired():
    from nlc.dataset_builder.extraction.pairs import two_bar_halves

    # loop 0 plays bars 0-7; loop 1 (the part only the second bar of a two-bar loop adds)
    # plays bars 1, 3, 5, 7; loop 2 plays bars 4-7 (a real partner of both)
    layout = np.zeros((8, 3))
    layout[:, 0] = 1.0
    layout[1::2, 1] = 1.0
    layout[4:, 2] = 1.0
    assert two_bar_halves(layout >= 0.5) == {(0, 1)}
    assert co_occurring_pairs(layout, threshold=0.5) == [(0, 1), (0, 2), (1, 2)]
    assert co_occurring_pairs(layout, threshold=0.5, skip_halves=True) == [(0, 2), (1, 2)]
    # a loop that plays in whole blocks inside another's bars is a partner, not a half
    layout[:, 1] = 0.0
    layout[2:6, 1] = 1.0
    assert two_bar_halves(layout >= 0.5) == set()
