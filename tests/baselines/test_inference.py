"""Scoring through the submission path: threaded chunks give the sequential scores."""

import numpy as np
import torch

from nlc.baselines.checkpoint import save_checkpoint
from nlc.baselines.inference import CNNScorer
from nlc.baselines.models import build_model


def test_cnn_scores_do_not_depend_on_threads_or_batching(tmp_path, make_loops):
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "cnn.pt", build_model("cnn").eval(), meta={})
    loops = make_loops(12, seed=4)
    rng = np.random.default_rng(0)
    src, tgt = loops[rng.integers(0, 12, 40)], loops[rng.integers(0, 12, 40)]
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        sequential = CNNScorer(tmp_path / "cnn.pt", batch_size=16).score(src, tgt)
        torch.set_num_threads(2)
        scorer = CNNScorer(tmp_path / "cnn.pt", batch_size=4)  # 10 chunks over a pool of 2 threads
        threaded = scorer.score(src, tgt)
        assert torch.get_num_threads() == 2  # the caller's setting is restored
        misses = scorer.cache.misses  # two threads may both miss a loop they meet at once
        again = scorer.score(src, tgt)  # now all from the shared STFT cache
    finally:
        torch.set_num_threads(before)
    assert threaded.shape == (40,) and threaded.dtype == np.float64
    np.testing.assert_allclose(threaded, sequential, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(again, threaded)
    assert len(scorer.cache) == 12 and scorer.cache.misses == misses
