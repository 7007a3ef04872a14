import numpy as np
import pytest

from nlc.errors import InputError
from nlc.dataset_builder.extraction import evaluate as ev


def _truth():
    spec = np.zeros((3, 4, 2))
    spec[0, 0] = spec[1, 2] = spec[2, 3] = 1.0
    active = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1], [1, 1, 0]], dtype=bool)
    return ev.StemTruth(names=["a", "b", "c"], spectrograms=spec, energy=active.T.astype(float), active=active)


def test_matching_recall_and_pairs():
    truth = _truth()
    loops = truth.spectrograms[[0, 1, 0]] + 0.01  # loops 0 and 2 both copy true loop a
    active = truth.active[:, [0, 1, 0]]
    matches = ev.match_loops(loops, active, truth)
    np.testing.assert_array_equal(matches, [0, 1, 0])
    assert ev.loop_recall(matches, 3) == pytest.approx(2 / 3)
    # (0,1) = a-b correct; (0,2) = a-a wrong; true pairs: a-b, a-c
    p, r = ev.pair_scores([(0, 1), (0, 2)], matches, truth.active)
    assert p == 0.5 and r == 0.5


def test_activity_must_agree_for_a_match():
    truth = _truth()
    loops = truth.spectrograms[[2]]
    wrong_bars = ~truth.active[:, [2]]
    assert ev.match_loops(loops, wrong_bars, truth)[0] == -1


def test_validate_rejects_shape_mismatch():
    truth = _truth()
    with pytest.raises(InputError):
        ev.match_loops(np.zeros((2, 5, 2)), np.zeros((4, 2), bool), truth)
    with pytest.raises(InputError):
        ev.match_loops(np.zeros((2, 4, 2)), np.zeros((3, 2), bool), truth)


def test_activation_correlation_and_stem_truth():
    layout = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.5]])
    energy = np.array([[2.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    np.testing.assert_allclose(ev.activation_correlation(layout, energy), [1.0, np.sqrt(3) / 2], atol=1e-9)
    from nlc.dataset_builder.extraction.config import ExtractionConfig

    sr = 44_100
    t = np.arange(sr * 4) / sr
    stem = np.where(t < 2, np.sin(2 * np.pi * 200 * t), 0.0).astype(np.float32)
    truth = ev.stem_truth({"x": stem}, np.array([0.0, 1.0, 2.0, 3.0]), config=ExtractionConfig())
    np.testing.assert_array_equal(truth.active[:, 0], [True, True, False])


def test_stem_truth_ignores_spill_from_a_late_grid():
    """A grid 13 ms late puts the first kick of bar 1 at the end of bar 0; bar 0 is still silent."""
    from nlc.dataset_builder.extraction.config import ExtractionConfig

    sr = 44_100
    stem = np.zeros(sr * 4, np.float32)
    for start in (sr, 2 * sr, 3 * sr):  # a kick at the start of bars 1-3
        n = np.arange(sr // 4)
        stem[start:start + n.size] = np.sin(2 * np.pi * 60 * n / sr) * np.exp(-n / 2000)
    downbeats = np.array([0.0, 1.0, 2.0, 3.0]) + 0.013
    truth = ev.stem_truth({"kick": stem}, downbeats, config=ExtractionConfig())
    np.testing.assert_array_equal(truth.active[:, 0], [False, True, True])


def test_coplaying_groups_link_stems_that_share_their_bars():
    active = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
    assert ev.coplaying_groups(active, min_jaccard=0.9) == [[0, 1], [2], [3]]
    assert ev.coplaying_groups(active, min_jaccard=0.5) == [[0, 1, 2], [3]]  # 2 joins 0 and 1 (2/4 bars)
    assert ev.coplaying_groups(active, min_jaccard=1.01) == [[0], [1], [2], [3]]


def test_stem_truth_sums_a_drum_kit_rendered_one_track_per_drum():
    """Kick and hi-hat tracks of one pattern (stems of different lengths) are one true loop; the bass is another."""
    from nlc.dataset_builder.extraction.config import ExtractionConfig

    sr = 44_100
    n = np.arange(sr // 8)
    kick, hat, bass = np.zeros(sr * 4), np.zeros(sr * 4 + 999), np.zeros(sr * 4)
    for bar in (0, 1, 2):
        kick[bar * sr:bar * sr + n.size] = np.sin(2 * np.pi * 60 * n / sr) * np.exp(-n / 2000)
        hat[bar * sr + sr // 2:bar * sr + sr // 2 + n.size] = np.random.default_rng(bar).normal(0, 0.1, n.size)
    bass[2 * sr:] = 0.3 * np.sin(2 * np.pi * 55 * np.arange(2 * sr) / sr)
    stems = {"kick": kick.astype(np.float32), "hat": hat.astype(np.float32), "bass": bass.astype(np.float32)}
    downbeats = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    plain = ev.stem_truth(stems, downbeats, config=ExtractionConfig())
    grouped = ev.stem_truth(stems, downbeats, config=ExtractionConfig(), group_jaccard=0.9)
    assert plain.names == ["bass", "hat", "kick"]
    assert grouped.names == ["bass", "hat+kick"]
    np.testing.assert_array_equal(grouped.active[:, 1], plain.active[:, 2])
    np.testing.assert_array_equal(grouped.active[:, 0], [False, False, True, True])


def test_pair_verdicts_say_why_a_pair_is_wrong():
    truth_active = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)  # true pairs (0, 1), (1, 2)
    matches = np.array([0, 1, 2, -1, 0])
    pairs = [(0, 1), (1, 2), (0, 2), (3, 0), (0, 4)]
    assert ev.pair_verdicts(pairs, matches, truth_active) == {
        "right": 2, "unmatched loop": 1, "one true loop twice": 1, "never together": 1}
    precision, _ = ev.pair_scores(pairs, matches, truth_active)
    assert precision == 2 / 5


def test_paired_difference_uses_shared_scored_songs_only():
    a = {"s1": {"p": 1.0}, "s2": {"p": 0.5}, "s3": {"p": 0.9}, "s4": {"p": float("nan")}, "only_a": {"p": 0.0}}
    b = {"s1": {"p": 0.5}, "s2": {"p": 0.5}, "s3": {"p": 1.0}, "s4": {"p": 1.0}}
    d = ev.paired_difference(a, b, "p")
    diffs = np.array([0.5, 0.0, -0.1])  # s4 is undefined in a, only_a is not in b
    assert d.n == 3 and d.mean == pytest.approx(diffs.mean())
    assert d.se == pytest.approx(diffs.std(ddof=1) / np.sqrt(3)) and d.moved == 1 and d.moved_by == 0.2
    assert ev.paired_difference(a, a, "p").mean == 0.0 and ev.paired_difference(a, a, "p").se == 0.0
    with pytest.raises(InputError, match="1 songs scored in both runs"):
        ev.paired_difference({"s1": {"p": 1.0}}, b, "p")


def test_activation_correlation_chance_averages_every_circular_shift():
    # two stems in complementary halves of 8 bars; a loop that follows the first exactly scores r = 1, but
    # shifted by s bars it correlates 1 - min(s, 8 - s) / 2 with one stem and minus that with the other:
    # best of the two over s = 1..7 is 0.5, 0, 0.5, 1, 0.5, 0, 0.5, mean 3/7
    first = np.r_[np.ones(4), np.zeros(4)]
    energy = np.stack([first, 1.0 - first])
    layout = first[:, None]
    np.testing.assert_allclose(ev.activation_correlation(layout, energy), [1.0])
    np.testing.assert_allclose(ev.activation_correlation_chance(layout, energy), [3 / 7], atol=1e-12)
    assert np.isnan(ev.activation_correlation_chance(np.ones((1, 2)), np.ones((2, 1)))).all()
