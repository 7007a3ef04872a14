"""nlc-bench train: train a CNN or Siamese baseline on nlc-loops/ (paper section 4.2).

The run folder ends up a complete submission (submission.py + checkpoint.pt) that
nlc-bench run scores unchanged; re-running the same command resumes an interrupted run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from nlc.cli import add_json_option, console


def _train(args: argparse.Namespace) -> int:
    from nlc.baselines.run_log import read_log
    from nlc.baselines.train import train_baseline

    out = console(args)
    submission = train_baseline(
        model=args.model, negatives=args.negatives, data=args.data, out=args.out, epochs=args.epochs,
        seed=args.seed, device=args.device, progress=out.progress, batch_size=args.batch_size,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, patience=args.patience,
        margin=args.margin, pool=args.pool, max_train_pairs=args.max_train_pairs, cache_dir=args.cache_dir,
    )
    epochs = read_log(args.out)
    for record in epochs:
        out.detail(f"epoch {record['epoch']}: train loss {record['train_loss']:.4f}, validation loss "
                   f"{record['val_loss']:.4f}, validation accuracy {record['val_accuracy']:.3f}, "
                   f"{record['seconds']:.1f} s{' (best)' if record.get('best') else ''}")
    run_file = Path(args.out) / "run.json"
    run: dict[str, Any] = json.loads(run_file.read_text()) if run_file.is_file() else {}
    if run:
        out.info(f"best epoch {run['best_epoch']} (validation loss {run['best_val_loss']:.4f}); {run['stopped']}")
    out.report(str(submission), {"submission": submission, "best_epoch": run.get("best_epoch"),
                                 "best_val_loss": run.get("best_val_loss"), "stopped": run.get("stopped"),
                                 "train_pairs": run.get("train_pairs"), "validation_pairs": run.get("validation_pairs"),
                                 "epochs": epochs})
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` to the ``nlc-bench`` command line."""
    p = subparsers.add_parser(
        "train", help="train a CNN or Siamese baseline; the run folder becomes a submission", description=__doc__,
    )
    p.add_argument("--model", required=True, choices=("cnn", "snn"),
                   help="cnn: pair classifier on the mixed loops; snn: Siamese network with contrastive loss")
    p.add_argument("--negatives", required=True, choices=("random", "selected", "reverse", "shift", "rearrange"),
                   help="negative sampling method (paper section 4.1), drawn afresh every epoch")
    p.add_argument("--data", required=True, type=Path, metavar="DIR",
                   help="nlc-loops/ dataset folder (train + validation splits)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="run folder (re-run to resume)")
    p.add_argument("--epochs", type=int, default=10, metavar="N",
                   help="maximum number of epochs (full passes over the training pairs)")
    p.add_argument("--batch-size", type=int, default=128, metavar="N",
                   help="examples (positive and negative pairs) per SGD step")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                   help="sgd as in the paper, adam as in the authors' released code")
    p.add_argument("--lr", type=float, default=None, metavar="RATE",
                   help="learning rate, per step (default: 0.01 for sgd, 0.001 for adam)")
    p.add_argument("--momentum", type=float, default=0.9, metavar="BETA",
                   help="SGD momentum, a fraction in [0, 1) (ignored by adam)")
    p.add_argument("--patience", type=int, default=3, metavar="EPOCHS",
                   help="stop after this many epochs without a lower validation loss")
    p.add_argument("--margin", type=float, default=2.0, metavar="DISTANCE",
                   help="contrastive-loss margin of the SNN, in embedding (Euclidean) distance")
    p.add_argument("--pool", type=int, default=2, metavar="FACTOR",
                   help="max-pooling factor (time and frequency bins) after each conv layer; 1: none, "
                        "as the authors' code")
    p.add_argument("--max-train-pairs", type=int, default=None, metavar="N",
                   help="positive pairs drawn per epoch, for quick runs (default: all of them)")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="feature cache folder, shareable between runs on the same dataset (default: OUT/cache)")
    p.add_argument("--seed", type=int, default=0, help="seed (an integer) of initialisation, dropout, negatives and shuffling")
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    add_json_option(p, help="print the run's final figures (best epoch and validation loss, every epoch's "
                            "losses) as one JSON document on stdout instead of the submission path")
    p.set_defaults(handler=_train)
