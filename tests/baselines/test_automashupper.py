"""AutoMashUpper's terms and mashability on synthesised loops.

Besides each term's unit behaviour, the cases where a harmonic-similarity rule must win,
on loops synthesised here: two parts of one chord progression in one key against the same
part a tritone away, a pair transposed together, and every loop (harmonic or drums only)
paired with itself.
"""

import numpy as np
import pytest

from nlc.baselines.automashupper import (
    ALL_KEY_SHIFTS, BALANCE_WEIGHT, RHYTHM_WEIGHT, AutoMashUpper, harmonic_similarity, loop_features, mashability,
    rhythmic_similarity, spectral_balance,
)
from nlc.errors import InputError
from nlc.loops.negatives import reverse, shift
from nlc.spec import BEAT_SAMPLES, LOOP_SAMPLES, SAMPLE_RATE

SEEDS = range(5)
SIXTEENTH = BEAT_SAMPLES // 4
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
PROGRESSION = (0, 5, 3, 4)
"""I-vi-IV-V as 0-based degrees of the major scale, one chord per beat."""


def _note(out: np.ndarray, midi: int, start: int, length: int, harmonics: int, amp: float = 1.0) -> None:
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(length) / SAMPLE_RATE
    envelope = np.exp(-6.0 * t) * np.minimum(1.0, 200.0 * t)
    out[start:start + length] += amp * envelope * sum(
        np.sin(2 * np.pi * f0 * h * t) / h ** 1.5 for h in range(1, harmonics + 1))


def harmonic_loop(key: int, part: str, seed: int) -> np.ndarray:
    """One bar of I-vi-IV-V in ``key`` (semitones above C): ``chords`` (triad stabs around
    C4, seeded rhythm) or ``arp`` (the triads arpeggiated in sixteenths around C5, seeded
    order); the timbre (number of harmonics) is seeded too."""
    rng = np.random.default_rng(seed)
    out = np.zeros(LOOP_SAMPLES)
    harmonics = int(rng.integers(2, 6))
    stabs = [0, *(int(s) for s in np.flatnonzero(rng.random(4) < 0.6) if s)]
    for beat, degree in enumerate(PROGRESSION):
        triad = [MAJOR_SCALE[(degree + j) % 7] + 12 * ((degree + j) // 7) for j in (0, 2, 4)]
        start = beat * BEAT_SAMPLES
        if part == "chords":
            for s in stabs:
                for n in triad:
                    _note(out, 60 + key + n, start + s * SIXTEENTH, BEAT_SAMPLES - s * SIXTEENTH, harmonics, 0.5)
        else:
            order = rng.permutation(3)
            for s in range(4):
                _note(out, 72 + key + triad[order[s % 3]], start + s * SIXTEENTH, SIXTEENTH, harmonics)
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def drum_loop(seed: int) -> np.ndarray:
    """Kick on 1 and 3 plus two seeded sixteenths, seeded hi-hats: no pitch at all."""
    rng = np.random.default_rng(seed)
    out = np.zeros(LOOP_SAMPLES)
    t = np.arange(4000) / SAMPLE_RATE
    kick = np.sin(2 * np.pi * 55 * t * (1 + 2 * np.exp(-40 * t))) * np.exp(-25 * t)
    for s in sorted({0, 8, *rng.choice(16, size=2, replace=False).tolist()}):
        out[s * SIXTEENTH:s * SIXTEENTH + 4000] += kick
    for s in np.flatnonzero(rng.random(16) < 0.5):
        out[s * SIXTEENTH:s * SIXTEENTH + 1500] += 0.3 * np.diff(rng.standard_normal(1501)) * np.exp(-np.arange(1500) / 250)
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def _key(seed: int) -> int:
    return int(np.random.default_rng(seed).integers(0, 12))



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


def test_full_key_search_matches_a_transposed_copy_but_the_scorer_does_not(loop, make_chord_loop):
    up = make_chord_loop([220.0 * 2 ** (3 / 12), 174.6 * 2 ** (3 / 12), 261.6 * 2 ** (3 / 12), 196.0 * 2 ** (3 / 12)], seed=0)
    f = loop_features(np.stack([loop, up]))
    assert harmonic_similarity(f.chroma[:1], f.chroma[:1])[0] == pytest.approx(1.0)
    searched = harmonic_similarity(f.chroma[:1], f.chroma[1:], key_shifts=ALL_KEY_SHIFTS)[0]
    as_played = harmonic_similarity(f.chroma[:1], f.chroma[1:])[0]
    assert searched > 0.95  # AutoMashUpper's search finds the shift that undoes the transposition
    assert as_played < searched - 0.1  # the benchmark plays the copy 3 semitones up: that is what is scored
    with pytest.raises(InputError, match="key_shifts is empty"):
        harmonic_similarity(f.chroma, f.chroma, key_shifts=())


@pytest.mark.parametrize("seed", SEEDS)
def test_same_key_pair_beats_a_tritone_clash(seed):
    key = _key(seed)
    chords = harmonic_loop(key, "chords", seed)
    arp, clash = harmonic_loop(key, "arp", seed + 100), harmonic_loop(key + 6, "arp", seed + 100)
    same, clashing = AutoMashUpper().score(np.stack([chords, chords]), np.stack([arp, clash]))
    assert same > clashing + 0.3  # same rhythm and timbre: only the key differs
    # Why the scorer does not search key shifts: the search would transpose the clash away.
    f = loop_features(np.stack([chords, arp, clash]))
    searched = harmonic_similarity(f.chroma[[0, 0]], f.chroma[[1, 2]], key_shifts=ALL_KEY_SHIFTS)
    assert abs(searched[0] - searched[1]) < 0.05


@pytest.mark.parametrize("seed", SEEDS)
def test_transposing_both_loops_keeps_the_score(seed):
    key = _key(seed)
    loops = [harmonic_loop(k, part, seed + (100 if part == "arp" else 0))
             for k in (key, key + 2, key + 5) for part in ("chords", "arp")]
    scores = AutoMashUpper().score(np.stack(loops[0::2]), np.stack(loops[1::2]))
    # chroma_stft's resolution depends on absolute pitch, so audio transposed together moves the
    # score a little; a key clash costs over 0.5 (test above)
    assert np.abs(scores[1:] - scores[0]).max() < 0.12
    # the formula itself is exactly invariant: rolling both chromagrams changes no cosine
    f = loop_features(np.stack(loops[:2]))
    rolled = np.roll(f.chroma, 5, axis=1)
    for shifts in ((0,), ALL_KEY_SHIFTS):
        np.testing.assert_allclose(harmonic_similarity(rolled[:1], rolled[1:], key_shifts=shifts),
                                   harmonic_similarity(f.chroma[:1], f.chroma[1:], key_shifts=shifts), rtol=1e-12)
    # and the full search is invariant to transposing one loop alone, up to the same resolution
    up = loop_features(loops[3][None])  # the arpeggio 2 semitones up
    searched = harmonic_similarity(f.chroma[:1], np.concatenate([f.chroma[1:], up.chroma]), key_shifts=ALL_KEY_SHIFTS)
    assert abs(searched[0] - searched[1]) < 0.12


@pytest.mark.parametrize("seed", SEEDS)
def test_every_loop_scores_highest_with_itself(seed):
    key = _key(seed)
    loops = np.stack([harmonic_loop(key, "chords", seed), harmonic_loop(key, "arp", seed + 100),
                      harmonic_loop(key + 6, "arp", seed + 100), drum_loop(seed), drum_loop(seed + 50)])
    n = len(loops)
    f = loop_features(loops)
    rows, cols = np.divmod(np.arange(n * n), n)
    table = mashability(f.take(rows), f.take(cols)).reshape(n, n)
    # H = R = 1 with itself, the most either term gives
    np.testing.assert_allclose(np.diag(table), 1.0 + RHYTHM_WEIGHT + BALANCE_WEIGHT * spectral_balance(f.bands, f.bands))
    for i in range(n):
        assert table[i, i] > np.delete(table[i], i).max(), f"loop {i}"


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
    # the balance is the whole loop's: a silent beat neither helps nor costs
    gap = bass + hats
    gap[0, :, 3] = 0.0
    assert spectral_balance(gap, np.zeros_like(gap))[0] == pytest.approx(spectral_balance(bass, hats)[0])


def test_silence_scores_finite_and_cache_is_consistent(loop):
    amu = AutoMashUpper()
    silence = np.zeros_like(loop)
    scores = amu.score(np.stack([silence, loop]), np.stack([silence, silence]))
    assert np.all(np.isfinite(scores))
    np.testing.assert_array_equal(amu.score(np.stack([loop]), np.stack([silence])), scores[1:])
