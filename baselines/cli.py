"""``nlc-bench train``: train a CNN or Siamese baseline on ``nlc-loops/`` (paper section 4.2).

The run folder ends up a complete submission (``submission.py`` + ``checkpoint.pt``) that
``nlc-bench run`` scores unchanged; re-running the same command resumes an interrupted run.
"""

from __future__ import annotations

import argparse


def _train(args: argparse.Namespace) -> int:
    from nlc.baselines.train import train_baseline

    submission = train_baseline(
        model=args.model, negatives=args.negatives, data=args.data, out=args.out, epochs=args.epochs,
        seed=args.seed, device=args.device, progress=not args.quiet, batch_size=args.batch_size,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, patience=args.patience,
        margin=args.margin, pool=args.pool, max_train_pairs=args.max_train_pairs, cache_dir=args.cache_dir,
    )
    print(submission)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` to the ``nlc-bench`` command line."""
    from pathlib import Path

    p = subparsers.add_parser(
        "train", help="train a CNN or Siamese baseline; the run folder becomes a submission",
        description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--model", required=True, choices=("cnn", "snn"), default=argparse.SUPPRESS,
                   help="cnn: pair classifier on the mixed loops; snn: Siamese network with contrastive loss")
    p.add_argument("--negatives", required=True, default=argparse.SUPPRESS,
                   choices=("random", "selected", "reverse", "shift", "rearrange"),
                   help="negative sampling method (paper section 4.1), drawn afresh every epoch")
    p.add_argument("--data", required=True, type=Path, default=argparse.SUPPRESS, help="nlc-loops/ dataset folder (train + validation splits)")
    p.add_argument("--out", required=True, type=Path, default=argparse.SUPPRESS, help="run folder (re-run to resume)")
    p.add_argument("--epochs", type=int, default=10, help="maximum epochs (full passes over the training pairs)")
    p.add_argument("--batch-size", type=int, default=128, help="examples per SGD step (positives + negatives)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                   help="sgd as in the paper, adam as in the authors' released code")
    p.add_argument("--lr", type=float, default=None, help="learning rate; None means 0.01 for sgd, 0.001 for adam")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (ignored by adam)")
    p.add_argument("--patience", type=int, default=3,
                   help="stop after this many epochs without a lower validation loss")
    p.add_argument("--margin", type=float, default=2.0, help="contrastive-loss margin of the SNN (embedding distance)")
    p.add_argument("--pool", type=int, default=2, help="max-pooling factor after each conv layer (1 = none, as the authors' code)")
    p.add_argument("--max-train-pairs", type=int, default=None,
                   help="positive pairs drawn per epoch (None = all of them), for quick runs")
    p.add_argument("--cache-dir", default=None,
                   help="feature cache folder, shareable between runs on the same dataset (None = OUT/cache)")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation, dropout, negatives and shuffling")
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=_train)
