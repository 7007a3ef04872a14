"""AutoMashUpper's terms and mashability on synthesised loops."""

import numpy as np
import pytest

from nlc.baselines.automashupper import (
    AutoMashUpper, harmonic_similarity, loop_features, rhythmic_similarity, spectral_balance,
)
from nlc.loops.negatives import reverse, shift



@pytest.fixture(scope="module")
def loop(make_chord_loop):
    return make_chord_loop([220.0, 174.6, 261.6, 196.0], seed=0)


def test_features_shapes(loop):
    f = loop_features(loop[None])
    assert f.chroma.shape == (1, 12, 4) and f.onsets.shape == (1, 16) and f.bands.shape == (1, 3, 4)


def test_loop_scores_itself_above_itself_reversed(loop):
    amu = AutoMashUpper()
    same, rev = amu.score(np.stack([loop, loop]), np.stack([loop, reverse(loop)]))
    assert same > rev


def test_loop_scores_itself_above_itself_shifted(loop):
    amu = AutoMashUpper()
    same, shifted = amu.score(np.stack([loop, loop]), np.stack([loop, shift(loop, beats=1)]))
    assert same > shifted


def test_harmonic_term_is_key_invariant_and_max_on_itself(loop, make_chord_loop):
    up = make_chord_loop([220.0 * 2 ** (3 / 12), 174.6 * 2 ** (3 / 12), 261.6 * 2 ** (3 / 12), 196.0 * 2 ** (3 / 12)], seed=0)
    f = loop_features(np.stack([loop, up]))
    h_self = harmonic_similarity(f.chroma[:1], f.chroma[:1])[0]
    h_up = harmonic_similarity(f.chroma[:1], f.chroma[1:])[0]
    assert h_self == pytest.approx(1.0)
    assert h_up > 0.95  # a transposed copy matches after the best key shift


def test_rhythm_and_balance_terms():
    kick_only = np.zeros((1, 16)); kick_only[0, ::4] = 1.0
    offbeat = np.zeros((1, 16)); offbeat[0, 2::4] = 1.0
    assert rhythmic_similarity(kick_only, kick_only)[0] == pytest.approx(1.0)
    assert rhythmic_similarity(kick_only, offbeat)[0] == pytest.approx(0.0)
    bass = np.zeros((1, 3, 4)); bass[0, 0] = 1.0
    hats = np.zeros((1, 3, 4)); hats[0, 2] = 1.0
    mid = np.zeros((1, 3, 4)); mid[0, 1] = 1.0
    assert spectral_balance(bass, bass)[0] < spectral_balance(bass, hats)[0] < spectral_balance(bass + mid, hats)[0]
    assert spectral_balance(np.zeros((1, 3, 4)), np.zeros((1, 3, 4)))[0] == 0.0


def test_silence_scores_finite_and_cache_is_consistent(loop):
    amu = AutoMashUpper()
    silence = np.zeros_like(loop)
    scores = amu.score(np.stack([silence, loop]), np.stack([silence, silence]))
    assert np.all(np.isfinite(scores))
    np.testing.assert_array_equal(amu.score(np.stack([loop]), np.stack([silence])), scores[1:])
