"""Each negative sampling method's defining property (paper section 4.1)."""

from __future__ import annotations

import numpy as np
import pytest

from nlc.loops.negatives import (
    METHODS,
    NON_IDENTITY_PERMUTATIONS,
    LoopPool,
    NegativeRecipe,
    apply_recipe,
    draw_recipe,
    rearrange,
    reverse,
    shift,
)
from nlc.errors import InputError
from nlc.spec import BEAT_SAMPLES, LOOP_SAMPLES, SAMPLE_RATE


def _clicks(beat_offsets: list[float]) -> np.ndarray:
    """A 2-s loop with a short decaying 1 kHz click at each given position (in beats)."""
    audio = np.zeros(LOOP_SAMPLES, dtype=np.float32)
    t = np.arange(441) / SAMPLE_RATE
    click = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t * 200)).astype(np.float32)
    for b in beat_offsets:
        start = int(round(b * BEAT_SAMPLES))
        audio[start:start + click.size] += click
    return audio


def _onsets_in_beats(audio: np.ndarray) -> np.ndarray:
    import librosa

    frames = librosa.onset.onset_detect(y=audio, sr=SAMPLE_RATE, hop_length=256, backtrack=True, units="samples")
    return np.asarray(frames) / BEAT_SAMPLES


@pytest.fixture()
def pool() -> LoopPool:
    songs = ["A", "A", "B", "B", "C", "C", "D"]
    roles = ["other", "drum", "drum", "other", "bass", "other", "drum"]
    ids = [f"{s}/loop{i:02d}" for i, s in enumerate(songs)]
    return LoopPool(tuple(ids), tuple(songs), tuple(roles))


def test_reverse_twice_is_identity_and_reverses_time():
    x = np.random.default_rng(0).standard_normal((3, LOOP_SAMPLES)).astype(np.float32)
    np.testing.assert_array_equal(reverse(reverse(x)), x)
    np.testing.assert_array_equal(reverse(x)[:, 0], x[:, -1])


@pytest.mark.parametrize("beats", [1, 2, 3])
def test_shift_moves_onsets_by_whole_beats(beats):
    positions = [0.25, 1.5, 2.75]  # off the beat so a wrong shift cannot look right
    audio = _clicks(positions)
    before = _onsets_in_beats(audio)
    after = _onsets_in_beats(shift(audio, beats=beats))
    np.testing.assert_allclose(before, positions, atol=0.02)
    expected = np.sort((np.asarray(positions) + beats) % 4)
    np.testing.assert_allclose(np.sort(after), expected, atol=0.02)


def test_shift_is_cyclic():
    x = np.arange(LOOP_SAMPLES, dtype=np.float32)
    np.testing.assert_array_equal(shift(shift(x, beats=1), beats=3), x)
    np.testing.assert_array_equal(shift(x, beats=1)[:BEAT_SAMPLES], x[-BEAT_SAMPLES:])


def test_rearrange_is_a_permutation_of_the_beats():
    x = np.repeat(np.arange(4, dtype=np.float32), BEAT_SAMPLES) + np.tile(np.linspace(0, 0.5, BEAT_SAMPLES), 4)
    for perm in NON_IDENTITY_PERMUTATIONS:
        y = rearrange(x, permutation=perm)
        beats_out = y.reshape(4, BEAT_SAMPLES)
        beats_in = x.reshape(4, BEAT_SAMPLES)
        for i, p in enumerate(perm):
            np.testing.assert_array_equal(beats_out[i], beats_in[p])
        np.testing.assert_array_equal(np.sort(y), np.sort(x))
        assert not np.array_equal(y, x)
    assert len(NON_IDENTITY_PERMUTATIONS) == 23


def test_transforms_work_on_batches():
    x = np.random.default_rng(1).standard_normal((2, 5, LOOP_SAMPLES)).astype(np.float32)
    y = rearrange(x, permutation=(3, 2, 1, 0))
    np.testing.assert_array_equal(y[1, 2], rearrange(x[1, 2], permutation=(3, 2, 1, 0)))
    np.testing.assert_array_equal(shift(x, beats=2)[0, 4], shift(x[0, 4], beats=2))


def test_random_and_selected_never_pick_the_same_song(pool):
    rng = np.random.default_rng(3)
    song_of = dict(zip(pool.loop_ids, pool.song_ids))
    role_of = dict(zip(pool.loop_ids, pool.roles))
    seen_random, seen_selected = set(), set()
    for _ in range(300):
        for song in ("A", "B", "C", "D"):
            r = draw_recipe("random", song_id=song, pool=pool, rng=rng)
            s = draw_recipe("selected", song_id=song, pool=pool, rng=rng)
            assert song_of[r.other_loop_id] != song
            assert song_of[s.other_loop_id] != song
            assert role_of[s.other_loop_id] == "other"
            seen_random.add(r.other_loop_id)
            seen_selected.add(s.other_loop_id)
    assert seen_random == set(pool.loop_ids)  # every loop reachable
    assert seen_selected == {i for i, r in zip(pool.loop_ids, pool.roles) if r == "other"}


def test_within_song_draws_cover_their_ranges(pool):
    rng = np.random.default_rng(5)
    shifts = {draw_recipe("shift", song_id="A", pool=pool, rng=rng).shift_beats for _ in range(200)}
    perms = {draw_recipe("rearrange", song_id="A", pool=pool, rng=rng).permutation for _ in range(2000)}
    assert shifts == {1, 2, 3}
    assert perms == set(NON_IDENTITY_PERMUTATIONS)
    assert draw_recipe("reverse", song_id="A", pool=pool, rng=rng) == NegativeRecipe("reverse")


def test_same_seed_same_recipes(pool):
    def draw(seed):
        rng = np.random.default_rng(seed)
        return [draw_recipe(m, song_id="B", pool=pool, rng=rng) for m in METHODS * 20]

    assert draw(11) == draw(11)
    assert draw(11) != draw(12)


def test_apply_recipe_matches_the_transforms():
    rng = np.random.default_rng(0)
    target, other = rng.standard_normal((2, LOOP_SAMPLES)).astype(np.float32)
    np.testing.assert_array_equal(apply_recipe(NegativeRecipe("reverse"), target), reverse(target))
    np.testing.assert_array_equal(apply_recipe(NegativeRecipe("shift", shift_beats=2), target), shift(target, beats=2))
    perm = NegativeRecipe("rearrange", permutation=[1, 0, 3, 2])
    assert perm.permutation == (1, 0, 3, 2)
    np.testing.assert_array_equal(apply_recipe(perm, target), rearrange(target, permutation=(1, 0, 3, 2)))
    out = apply_recipe(NegativeRecipe("random", other_loop_id="B/loop00"), target, other=other)
    np.testing.assert_array_equal(out, other)
    assert out is not other and out.dtype == target.dtype


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "mirror"}, "unknown negative"),
        ({"method": "random"}, "needs other_loop_id"),
        ({"method": "reverse", "shift_beats": 1}, "takes no shift_beats"),
        ({"method": "shift", "shift_beats": 4}, "shift_beats must be"),
        ({"method": "shift", "shift_beats": 0}, "shift_beats must be"),
        ({"method": "shift", "shift_beats": True}, "shift_beats must be"),
        ({"method": "rearrange", "permutation": (0, 1, 2, 3)}, "identity"),
        ({"method": "rearrange", "permutation": (0, 0, 1, 2)}, "reorder the beats"),
        ({"method": "selected", "other_loop_id": ""}, "non-empty"),
        ({"method": "rearrange", "permutation": ("a", 1, 2, 3)}, "sequence of beat indices"),
    ],
)
def test_bad_recipes_are_rejected(kwargs, match):
    with pytest.raises(InputError, match=match):
        NegativeRecipe(**kwargs)


def test_bad_inputs_raise_clear_errors(pool):
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="divisible by 4"):
        shift(np.zeros(10), beats=1)
    with pytest.raises(InputError, match="integer"):
        shift(np.zeros(8), beats=1.5)
    with pytest.raises(InputError, match="unknown negative"):
        draw_recipe("swap", song_id="A", pool=pool, rng=rng)
    with pytest.raises(InputError, match="needs the audio"):
        apply_recipe(NegativeRecipe("random", other_loop_id="B/loop02"), np.zeros(8))
    with pytest.raises(InputError, match="other= must be None"):
        apply_recipe(NegativeRecipe("reverse"), np.zeros(8), other=np.zeros(8))
    with pytest.raises(InputError, match="shape"):
        apply_recipe(NegativeRecipe("random", other_loop_id="B/loop02"), np.zeros(8), other=np.zeros(12))
    lonely = LoopPool(("A/loop00", "B/loop00"), ("A", "B"), ("other", "drum"))
    with pytest.raises(InputError, match="role 'other' from a song other than 'A'"):
        draw_recipe("selected", song_id="A", pool=lonely, rng=rng)
    with pytest.raises(InputError, match="aligned"):
        LoopPool(("a",), ("A", "B"), ("other",))
    with pytest.raises(InputError, match="roles must be"):
        LoopPool(("a",), ("A",), ("vocals",))
    with pytest.raises(InputError, match="duplicates"):
        LoopPool(("a", "a"), ("A", "B"), ("other", "other"))


def test_pool_from_pairs_lists_each_loop_once():
    import pandas as pd

    pairs = pd.DataFrame({"song_id": ["1", "1", "2"], "source_id": ["1/a", "1/a", "2/a"],
                          "target_id": ["1/b", "1/c", "2/b"], "source_role": ["drum", "drum", "other"],
                          "target_role": ["bass", "other", "other"]})
    pool = LoopPool.from_pairs(pairs)
    assert pool.loop_ids == ("1/a", "1/b", "1/c", "2/a", "2/b")
    assert pool.roles == ("drum", "bass", "other", "other", "other")
    assert pool.song_ids == ("1", "1", "1", "2", "2")
    with pytest.raises(InputError, match="lacks column"):
        LoopPool.from_pairs(pairs.drop(columns="target_role"))
