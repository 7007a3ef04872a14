"""Training on the tiny nlc-loops build: loss goes down, runs resume, folders are submissions."""

import json

import numpy as np
import pytest
import torch

from nlc.baselines.models import PairCNN, SiameseNet, contrastive_loss
from nlc.baselines.skeleton import SkeletonConfig
from nlc.baselines.train_data import cnn_batch, draw_examples, load_split, snn_batch
from nlc.baselines.train import train_baseline
from nlc.loops.reader import open_dataset
from nlc.errors import InputError
from nlc.protocol import load_submission

FAST = {"pool": 4, "max_train_pairs": 12, "batch_size": 16, "progress": False}


@pytest.fixture(scope="module")
def train_split(tiny_dataset, tmp_path_factory):
    return load_split(open_dataset(tiny_dataset), "train", cache_dir=tmp_path_factory.mktemp("cache"))


def test_examples_are_balanced_and_seeded(train_split):
    ex1 = draw_examples(train_split, "random", np.random.default_rng([0, 1]))
    ex2 = draw_examples(train_split, "random", np.random.default_rng([0, 1]))
    ex3 = draw_examples(train_split, "random", np.random.default_rng([0, 2]))
    assert ex1 == ex2 and ex1 != ex3  # same epoch seed, same negatives; next epoch, fresh ones
    labels = [e.label for e in ex1]
    assert len(ex1) == 2 * train_split.n_pairs and sum(labels) == train_split.n_pairs
    songs = train_split.pairs["song_id"].to_numpy()
    for e in ex1:
        if e.recipe is not None:
            assert e.recipe.other_loop_id.split("/")[0] != songs[e.pair]


def test_cached_cnn_features_equal_fresh_ones(train_split):
    ex = draw_examples(train_split, "reverse", np.random.default_rng(0), shuffle=False)[:4]
    feats = cnn_batch(train_split, ex)
    from nlc.features import log_mel_batch

    pos = ex[0]
    mix = 0.5 * train_split.audio[train_split.source[pos.pair]] + 0.5 * train_split.audio[train_split.target[pos.pair]]
    np.testing.assert_allclose(feats[0], log_mel_batch(mix[None])[0], atol=0.05)
    a, b = snn_batch(train_split, ex)
    assert a.shape == b.shape == (4, 173, 128)


@pytest.mark.parametrize("kind", ["cnn", "snn"])
def test_training_steps_lower_the_loss_on_a_synthetic_build(kind, train_split):
    torch.manual_seed(0)
    batch = draw_examples(train_split, "random", np.random.default_rng(0), max_pairs=12)
    labels = torch.tensor([e.label for e in batch], dtype=torch.float32)
    cfg = SkeletonConfig(pool=4)
    model = PairCNN(cfg) if kind == "cnn" else SiameseNet(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if kind == "cnn":
        x = torch.from_numpy(cnn_batch(train_split, batch))
        loss_fn = lambda: torch.nn.functional.binary_cross_entropy_with_logits(model(x), labels)  # noqa: E731
    else:
        a, b = (torch.from_numpy(v) for v in snn_batch(train_split, batch))
        loss_fn = lambda: contrastive_loss(model(a, b), labels)  # noqa: E731
    model.train()
    first = loss_fn().item()
    for _ in range(6):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    assert loss_fn().item() < first


def test_train_resume_and_submission(tiny_dataset, tmp_path):
    out = tmp_path / "run"
    sub = train_baseline(model="snn", negatives="shift", data=tiny_dataset, out=out, epochs=1, seed=3, **FAST)
    log1 = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert len(log1) == 1 and {"train_loss", "val_loss", "val_accuracy"} <= set(log1[0])
    # Re-running with more epochs resumes after epoch 1 instead of starting over.
    train_baseline(model="snn", negatives="shift", data=tiny_dataset, out=out, epochs=2, seed=3, **FAST)
    log2 = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log2] == [1, 2] and log2[0] == log1[0]
    # A finished run returns at once.
    stamp = (out / "last.pt").stat().st_mtime_ns
    assert train_baseline(model="snn", negatives="shift", data=tiny_dataset, out=out, epochs=2, seed=3, **FAST) == sub
    assert (out / "last.pt").stat().st_mtime_ns == stamp
    assert (out / "loss.png").stat().st_size > 0
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["optimizer"] == "sgd" and run["config"]["lr"] == 0.01
    loaded = load_submission(sub)
    assert loaded.has_embed and loaded.threshold == -1.0
    with pytest.raises(InputError, match="other settings"):
        train_baseline(model="snn", negatives="reverse", data=tiny_dataset, out=out, epochs=2, seed=3, **FAST)


def test_cnn_run_with_adam_is_a_submission(tiny_dataset, tmp_path):
    sub = train_baseline(model="cnn", negatives="rearrange", data=tiny_dataset, out=tmp_path / "cnn", epochs=1,
                         seed=0, optimizer="adam", **FAST)
    loaded = load_submission(sub)
    assert loaded.threshold == 0.5 and not loaded.has_embed
    assert json.loads((tmp_path / "cnn" / "run.json").read_text())["config"]["lr"] == 1e-3


def test_cli_trains_and_prints_the_submission(tiny_dataset, tmp_path, capsys):
    from nlc.cli import main

    out = tmp_path / "cli-run"
    argv = ["train", "--model", "cnn", "--negatives", "random", "--data", str(tiny_dataset), "--out", str(out),
            "--epochs", "1", "--pool", "4", "--max-train-pairs", "8", "--batch-size", "16", "--quiet"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == str(out / "submission.py")
    assert (out / "checkpoint.pt").is_file() and (out / "loss.png").is_file()
    assert main(["train", "--model", "cnn", "--negatives", "random", "--data", str(tmp_path / "missing"),
                 "--out", str(tmp_path / "x")]) == 2
