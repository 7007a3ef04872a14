"""The STFT-domain mix equals the log-mel of the audio-domain mix."""

import numpy as np
import pytest

from nlc.errors import InputError
from nlc.baselines.stft_mix import StftCache, loop_key, mixed_log_mel
from nlc.features import log_mel_batch
from nlc.spec import LOOP_SAMPLES


def test_stft_domain_mix_equals_audio_domain_mix(make_loops):
    loops = make_loops(6, seed=1)
    a, b = loops[:3], loops[3:]
    expected = log_mel_batch(0.5 * a + 0.5 * b)
    cache = StftCache()
    got = mixed_log_mel(a, b, cache=cache)
    assert got.shape == (3, 173, 128) and got.dtype == np.float32
    # Float32 rounding differs between summing samples and summing spectra: within 80 dB of
    # the peak the dB values agree to 1e-3 dB; in the -100 dB floor, to 0.05 dB.
    loud = expected > expected.max() - 80.0
    for result in (got, mixed_log_mel(a, b)):
        np.testing.assert_allclose(result[loud], expected[loud], atol=1e-3, rtol=0)
        np.testing.assert_allclose(result, expected, atol=0.05, rtol=0)
        power_error = np.abs(10 ** (result / 10) - 10 ** (expected / 10)).max()
        assert power_error < 1e-5 * 10 ** (expected.max() / 10)


def test_cache_reuses_each_distinct_loop(make_loops):
    loops = make_loops(3, seed=2)
    cache = StftCache(max_loops=10)
    src = np.repeat(loops[:1], 3, axis=0)  # one query against three candidates
    first = mixed_log_mel(src, loops, cache=cache)
    assert len(cache) == 3 and cache.misses == 3  # loops[0] appears 4 times, computed once
    again = mixed_log_mel(src, loops, cache=cache)
    assert cache.misses == 3
    np.testing.assert_array_equal(first, again)


def test_cache_is_bounded_and_key_is_content_based(make_loops):
    loops = make_loops(4, seed=3)
    cache = StftCache(max_loops=2)
    keys, found = cache.lookup(loops)
    assert len(cache) == 2 and len(found) == 4 and set(found) == set(keys)
    assert loop_key(loops[0]) == loop_key(loops[0].copy())
    assert loop_key(loops[0]) != loop_key(loops[1])


def test_mix_rejects_mismatched_shapes():
    with pytest.raises(InputError):
        mixed_log_mel(np.zeros((2, LOOP_SAMPLES)), np.zeros((3, LOOP_SAMPLES)))
    with pytest.raises(InputError):
        mixed_log_mel(np.zeros((2, 100)), np.zeros((2, 100)))
