"""Every baseline submission loads through the protocol and keeps it."""

import numpy as np
import pytest
import torch

from nlc.baselines.checkpoint import load_checkpoint, save_checkpoint
from nlc.baselines.export import template_path, write_submission
from nlc.baselines.models import PairCNN, SiameseNet
from nlc.errors import InputError, SubmissionError
from nlc.protocol import load_submission


@pytest.fixture(scope="module")
def pairs(make_loops):
    loops = make_loops(6, seed=4)
    return loops[:3], loops[3:]


def _validate(sub):
    validate = pytest.importorskip("nlc.benchmark.validate")
    return validate.validate_loaded(sub)


def _trained_folder(tmp_path, kind, margin=2.0):
    torch.manual_seed(0)
    model = PairCNN() if kind == "cnn" else SiameseNet(margin=margin)
    save_checkpoint(tmp_path / "checkpoint.pt", model, meta={"negatives": "random"})
    return write_submission(tmp_path, kind, margin=margin)


@pytest.mark.parametrize("name", ["automashupper", "random_baseline"])
def test_untrained_baselines_load_score_and_validate(name, pairs):
    sub = load_submission(template_path(name))
    scores = np.asarray(sub.score(*pairs))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert not sub.has_embed
    _validate(sub)


def test_random_baseline_is_deterministic_per_pair(pairs):
    a, b = load_submission(template_path("random_baseline")), load_submission(template_path("random_baseline"))
    s1 = a.score(*pairs)
    s2 = b.score(pairs[0][::-1], pairs[1][::-1])[::-1]  # other run, other order
    np.testing.assert_array_equal(s1, s2)
    assert np.all((s1 >= 0) & (s1 < 1)) and len(set(s1)) == 3


def test_cnn_run_folder_is_a_submission(tmp_path, pairs):
    sub = load_submission(_trained_folder(tmp_path, "cnn"))
    assert sub.threshold == 0.5 and not sub.has_embed
    scores = np.asarray(sub.score(*pairs))
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    _validate(sub)


def test_snn_run_folder_is_an_embedding_submission(tmp_path, pairs):
    sub = load_submission(_trained_folder(tmp_path, "snn", margin=3.0))
    assert sub.threshold == -1.5 and sub.has_embed
    emb = np.asarray(sub.embed(np.concatenate(pairs)))
    assert emb.shape == (6, 16)
    scores = np.asarray(sub.score(*pairs))
    np.testing.assert_allclose(scores, -np.linalg.norm(emb[:3] - emb[3:], axis=1), rtol=1e-5, atol=1e-6)
    _validate(sub)


def test_template_without_checkpoint_fails_clearly():
    with pytest.raises(SubmissionError, match="template"):
        load_submission(template_path("cnn"))


def test_checkpoint_round_trip_and_bad_files(tmp_path):
    torch.manual_seed(1)
    model = SiameseNet(margin=1.5).eval()
    save_checkpoint(tmp_path / "c.pt", model, meta={"seed": 3})
    loaded, meta = load_checkpoint(tmp_path / "c.pt")
    x = torch.randn(2, 173, 128)
    assert meta == {"seed": 3} and loaded.margin == 1.5
    torch.testing.assert_close(loaded.embed(x), model.embed(x))
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="bad.pt"):
        load_checkpoint(tmp_path / "bad.pt")
