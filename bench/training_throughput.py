"""Training and scoring throughput of the neural baselines (pairs per second).

Prints, for the CNN and the SNN, on the CPU and on CUDA when torch sees a GPU:

* ``train step``: forward + backward + SGD step on precomputed log-mels, batch 128;
* ``features``: log-mel computation for one batch of fresh negatives (CPU, torch STFT);
* ``score``: inference through the submission path (features + eval forward), the rate
  the benchmark sees.

Usage: ``python bench/training_throughput.py [--batches 3] [--pool 2] [--threads N] [--only-models]``.
Timings are wall-clock medians over ``--batches`` batches after one warm-up batch; on a
shared machine they vary with load, so the script also prints the CPU time used.
"""

from __future__ import annotations

import argparse
import statistics
import time

import nlc  # noqa: F401  first: it sets OMP_WAIT_POLICY before torch loads OpenMP
import numpy as np
import torch

from nlc.baselines.models import PairCNN, SiameseNet, contrastive_loss
from nlc.baselines.skeleton import SkeletonConfig
from nlc.baselines.stft_mix import StftCache, mixed_log_mel
from nlc.features import log_mel_batch
from nlc.spec import LOOP_SAMPLES, N_FRAMES, N_MELS


def _median_seconds(fn, batches: int) -> tuple[float, float]:
    fn()  # warm-up (allocations, kernel selection)
    walls, cpus = [], []
    for _ in range(batches):
        w, c = time.perf_counter(), time.process_time()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def bench_device(device: str, *, batch: int, batches: int, pool: int) -> None:
    rng = np.random.default_rng(0)
    cfg = SkeletonConfig(pool=pool)
    x = torch.from_numpy(rng.normal(-50, 20, (batch, N_FRAMES, N_MELS)).astype(np.float32)).to(device)
    y = torch.from_numpy(rng.integers(0, 2, batch).astype(np.float32)).to(device)
    for kind in ("cnn", "snn"):
        torch.manual_seed(0)
        model = (PairCNN(cfg) if kind == "cnn" else SiameseNet(cfg)).to(device).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad()
            if kind == "cnn":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
            else:
                loss = contrastive_loss(model(x, x.roll(1, dims=0)), y)
            loss.backward()
            opt.step()

        wall, cpu = _median_seconds(step, batches)
        print(f"{device:5s} {kind} train step   {batch / wall:8.1f} pairs/s  ({wall:.3f} s wall, {cpu:.3f} s CPU per {batch})")


def bench_features_and_scoring(*, batch: int, batches: int, pool: int) -> None:
    rng = np.random.default_rng(1)
    a = (0.1 * rng.standard_normal((batch, LOOP_SAMPLES))).astype(np.float32)
    b = (0.1 * rng.standard_normal((batch, LOOP_SAMPLES))).astype(np.float32)
    wall, _ = _median_seconds(lambda: log_mel_batch(b), batches)
    print(f"cpu   log-mel of fresh loops {batch / wall:8.1f} loops/s")
    wall, _ = _median_seconds(lambda: mixed_log_mel(a, b), batches)
    print(f"cpu   mixed log-mel, no cache {batch / wall:7.1f} pairs/s")
    cache = StftCache()
    mixed_log_mel(a, b, cache=cache)
    wall, _ = _median_seconds(lambda: mixed_log_mel(a, b, cache=cache), batches)
    print(f"cpu   mixed log-mel, cached  {batch / wall:8.1f} pairs/s (both loops' STFTs cached)")
    model = PairCNN(SkeletonConfig(pool=pool)).eval()

    def score():
        with torch.no_grad():
            torch.sigmoid(model(torch.from_numpy(mixed_log_mel(a, b, cache=cache))))

    wall, _ = _median_seconds(score, batches)
    print(f"cpu   cnn score (cached STFTs) {batch / wall:6.1f} pairs/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--batch", type=int, default=128, help="pairs per batch")
    parser.add_argument("--batches", type=int, default=3, help="timed batches per measurement (after one warm-up)")
    parser.add_argument("--pool", type=int, default=2, help="skeleton pooling factor (1 = authors' unpooled layout)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--only-models", action="store_true",
                        help="skip the feature and scoring timings (they need librosa's mel filters)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, pool={args.pool}")
    bench_device("cpu", batch=args.batch, batches=args.batches, pool=args.pool)
    if torch.cuda.is_available():
        print(f"cuda: {torch.cuda.get_device_name(0)}")
        bench_device("cuda", batch=args.batch, batches=args.batches, pool=args.pool)
    else:
        print("cuda: not available")
    if not args.only_models:
        bench_features_and_scoring(batch=args.batch, batches=args.batches, pool=args.pool)


if __name__ == "__main__":
    main()
