"""Cost of ``nlc-bench reproduce table2 --scale paper`` on this machine, without running it whole.

Usage::

    .venv/bin/python bench/paper_scale_cost.py NLC_LOOPS [--pairs 256] [--methods random shift]
        [--device cpu|cuda] [--threads N] [--n-resamples 1000] [--no-ladder] [--json FILE] [--keep]

A paper-scale Table 2 is ten trainings (CNN, SNN x five negative methods) of at most 10 epochs
on the whole train split, then twelve scorings; on two CPU cores that is hours, so this bench
measures its parts and multiplies. On the given ``nlc-loops`` build (left untouched; every
file this bench writes goes to a fresh folder under the system's temp dir, deleted at the end
unless ``--keep``) it measures, with the real code paths:

* feature caching: the loop audio, loop log-mels (SNN) and positive-pair mixes (CNN) of the
  train and validation splits, whole, as ``reproduce`` caches them once for its ten runs;
* one training epoch of the CNN and of the SNN per ``--methods`` entry, through
  :func:`nlc.baselines.train.train_baseline` with ``max_train_pairs=--pairs`` and
  ``epochs=1``: the training pass over the slice and the validation pass over the whole
  validation split are timed apart (each epoch does both);
* the scoring of one CNN, one SNN, AutoMashUpper and random entry, whole, through
  :func:`nlc.benchmark.run.run_benchmark` (the trained weights do not change the cost);
* the validity ladder (oracle, audible, chroma; random reused) when the build has ``truth.json``.

It then extrapolates, per stage, linearly in the number of items the stage handles:

* caching: seconds per loop (audio, log-mel) and per positive pair (mix) x the target's loops
  and pairs of the train and validation splits;
* training: per (model, method), ``epochs x (train_s_per_pair x N_train + val_s_per_pair x
  N_val) + overhead``; a method not measured takes the measured method of its family
  (between-song: random, selected; within-song: reverse, shift, rearrange), since the family
  decides which features are cached and which are computed per batch;
* scoring: ``load_and_validate + classification x C / C_build + ranking x (Q x K) / (Q x K)_build
  + metrics x C / C_build`` per entry, the CNN's and SNN's five times each;

for (a) this build at paper scale and (b) the paper's dataset (Table 1: 12,774 train and 3,195
validation pairs over 9,048 and 2,355 loops; classification = the validation positives and as
many negatives = 6,390 pairs; ranking 100 queries x 100 candidates; no ladder: FMA has no
ground truth), each with 10 epochs (no early stop: the budget's upper bound) and with 4
(patience 3 + 1: the earliest early stop). Totals are given in CPU hours (``process_time``,
all threads) and in wall hours as measured with torch's threads on this machine's
``os.cpu_count()`` cores, at the load it had (printed). ``--device cuda`` runs the training
and scoring on a GPU (feature caching stays on the CPU, as in ``reproduce``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nlc  # noqa: F401  first: it sets OMP_WAIT_POLICY before torch loads OpenMP
from nlc.benchmark.reproduce import NEGATIVES as METHODS
from nlc.benchmark.reproduce import SCALES
from nlc.loops.negatives import BETWEEN_SONG

EPOCHS_MAX: int = SCALES["paper"].epochs
"""Epochs of ``--scale paper`` (at most; no early stop)."""
EPOCHS_EARLIEST: int = SCALES["paper"].patience + 1
"""Fewest epochs ``--scale paper`` can stop after (best at epoch 1, then ``patience`` epochs without improvement)."""
PAPER: dict[str, int] = {
    "train_pairs": 12_774, "train_loops": 9_048, "validation_pairs": 3_195, "validation_loops": 2_355,
    "classification": 2 * 3_195, "ranking_pairs": 100 * 100,
}
"""The paper's dataset (Table 1), and its protocol as section 5.1 builds it."""


@dataclass
class Cost:
    """Wall and CPU seconds of one measured stage, and how many items it handled."""

    wall: float = 0.0
    cpu: float = 0.0
    items: int = 0

    def add(self, wall: float, cpu: float, items: int = 0) -> None:
        self.wall += wall
        self.cpu += cpu
        self.items += items

    def scaled(self, factor: float) -> Cost:
        return Cost(self.wall * factor, self.cpu * factor, round(self.items * factor))

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.wall + other.wall, self.cpu + other.cpu, self.items + other.items)


@dataclass
class Measured:
    """Everything the bench measured on the build (seconds) and the build's sizes."""

    sizes: dict[str, int]
    cache: dict[str, Cost] = field(default_factory=dict)
    train: dict[tuple[str, str], Cost] = field(default_factory=dict)       # training pass over the slice
    val: dict[tuple[str, str], Cost] = field(default_factory=dict)         # validation pass, whole split
    overhead: dict[tuple[str, str], Cost] = field(default_factory=dict)    # rest of the train_baseline call
    score: dict[str, dict[str, Cost]] = field(default_factory=dict)        # entry -> stage -> cost
    ladder: Cost | None = None


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def measure_cache(data: Path, cache_dir: Path, m: Measured) -> None:
    """Fill the feature cache of both splits as ``reproduce`` does once, timing each part."""
    from nlc.baselines.train_data import load_split
    from nlc.loops.reader import open_dataset

    dataset = open_dataset(data)
    for split in ("train", "validation"):
        loaded, w, c = _timed(lambda: load_split(dataset, split, cache_dir=cache_dir))
        m.cache.setdefault("audio", Cost()).add(w, c, len(loaded.loop_ids))
        _, w, c = _timed(loaded.loop_mels)
        m.cache.setdefault("loop_mels", Cost()).add(w, c, len(loaded.loop_ids))
        _, w, c = _timed(loaded.pair_mixes)
        m.cache.setdefault("pair_mixes", Cost()).add(w, c, loaded.n_pairs)


def measure_training(data: Path, work: Path, m: Measured, *, model: str, method: str, pairs: int,
                     device: str) -> Path:
    """One epoch of the real ``train_baseline`` on ``pairs`` positive pairs; returns its submission.

    ``_run_losses`` (one pass over a list of examples: training when given an optimizer,
    validation otherwise) is wrapped to time the two passes apart; nothing else changes.
    """
    import nlc.baselines.train as train

    real = train._run_losses
    passes: list[tuple[bool, float, float, int]] = []

    def timed_pass(net, split, examples, cfg, **kw):
        out, w, c = _timed(lambda: real(net, split, examples, cfg, **kw))
        passes.append((kw.get("optimizer") is not None, w, c, len(examples)))
        return out

    train._run_losses = timed_pass
    try:
        sub, wall, cpu = _timed(lambda: train.train_baseline(
            model=model, negatives=method, data=data, out=work / "runs" / f"{model}-{method}", epochs=1, seed=0,
            device=device, progress=False, max_train_pairs=pairs, cache_dir=work / "cache"))
    finally:
        train._run_losses = real
    key = (model, method)
    for training, w, c, n in passes:  # examples = positives + one negative each: items are positive pairs
        (m.train if training else m.val).setdefault(key, Cost()).add(w, c, n // 2)
    m.overhead[key] = Cost(wall - m.train[key].wall - m.val[key].wall, cpu - m.train[key].cpu - m.val[key].cpu, 1)
    return Path(sub)


def measure_scoring(data: Path, m: Measured, submissions: dict[str, Path], *, device: str,
                    n_resamples: int) -> dict[str, Any]:
    """Score each entry whole through ``run_benchmark``; per-stage seconds from its timing."""
    from nlc.benchmark.run import open_protocol, run_benchmark

    protocol = open_protocol(data)
    results = {}
    for name, sub in submissions.items():
        res, wall, cpu = _timed(lambda: run_benchmark(sub, protocol, seed=0, device=device, n_resamples=n_resamples,
                                                      name=name))
        stages = dict(res.timing.stages_s)
        # CPU time is not split by stage in the results: share it in proportion to wall time.
        ratio = cpu / wall if wall > 0 else 1.0
        rest = max(wall - sum(stages.values()), 0.0)  # loading the file, outside the results' stages
        m.score[name] = {s: Cost(v, v * ratio) for s, v in stages.items()} | {"other": Cost(rest, rest * ratio)}
        results[name] = res
    return results


def measure_ladder(data: Path, m: Measured, random_result: Any, *, n_resamples: int) -> None:
    """Score the ladder's oracle, audible and chroma rungs (random reused, as ``reproduce`` does)."""
    from nlc.benchmark.ladder import run_ladder

    _, w, c = _timed(lambda: run_ladder(data, n_resamples=n_resamples, done={"random": random_result}))
    m.ladder = Cost(w, c, 1)


def _family(method: str, measured: list[str]) -> str:
    """The measured method standing in for ``method``: itself, else one of its family, else the first."""
    if method in measured:
        return method
    same = [x for x in measured if (x in BETWEEN_SONG) == (method in BETWEEN_SONG)]
    return (same or measured)[0]


def extrapolate(m: Measured, target: dict[str, int], *, epochs: int, ladder: bool) -> dict[str, Cost]:
    """Per-stage cost of ``reproduce table2`` on a dataset of ``target`` sizes, ``epochs`` each."""
    s = m.sizes
    loops_b = s["train_loops"] + s["validation_loops"]
    loops_t = target["train_loops"] + target["validation_loops"]
    pairs_b = s["train_pairs"] + s["validation_pairs"]
    pairs_t = target["train_pairs"] + target["validation_pairs"]
    out = {
        "cache": m.cache["audio"].scaled(loops_t / loops_b) + m.cache["loop_mels"].scaled(loops_t / loops_b)
        + m.cache["pair_mixes"].scaled(pairs_t / pairs_b),
    }
    measured = sorted({method for _, method in m.train}, key=METHODS.index)
    for model in ("cnn", "snn"):
        total = Cost()
        for method in METHODS:
            key = (model, _family(method, measured))
            train, val = m.train[key], m.val[key]
            per_epoch = (train.scaled(target["train_pairs"] / train.items)
                         + val.scaled(target["validation_pairs"] / val.items))
            total = total + per_epoch.scaled(epochs) + m.overhead[key]
        out[f"train {model} x5"] = total
    c_ratio = target["classification"] / s["classification"]
    r_ratio = target["ranking_pairs"] / s["ranking_pairs"]
    for name, times in (("cnn", 5), ("snn", 5), ("automashupper", 1), ("random_baseline", 1)):
        st = m.score[name]
        one = (st["load_and_validate"] + st["other"] + st["classification"].scaled(c_ratio)
               + st["ranking"].scaled(r_ratio) + st["metrics"].scaled(c_ratio))
        out[f"score {name} x{times}"] = one.scaled(times)
    if ladder and m.ladder is not None:
        out["ladder"] = m.ladder.scaled(c_ratio)
    return out


def _line(label: str, cost: Cost, note: str) -> str:
    return f"  {label:<40s} {cost.wall:9.1f} s wall {cost.cpu:9.1f} s CPU  {note}".rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("data", type=Path, help="an nlc-loops/ build (train, validation and the frozen protocol)")
    parser.add_argument("--pairs", type=int, default=256, help="positive pairs of the timed training epoch (slice)")
    parser.add_argument("--methods", nargs="+", default=["random", "shift"], choices=METHODS,
                        help="negative methods timed per model (one between-song and one within-song cover the five)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="device of training and scoring")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--n-resamples", type=int, default=1000, help="bootstrap resamples per interval, as reproduce")
    parser.add_argument("--no-ladder", action="store_true", help="skip timing the validity ladder")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp folder (feature caches, trained runs); by default it is deleted")
    args = parser.parse_args(argv)

    import torch

    from nlc.baselines.export import template_path
    from nlc.errors import InputError
    from nlc.loops.reader import open_dataset

    if args.pairs < 2:
        raise InputError(f"--pairs must be >= 2, got {args.pairs}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: torch sees no CUDA device")
    if args.threads:
        torch.set_num_threads(args.threads)
    info = open_dataset(args.data, verify=False).info
    splits = info.counts["splits"]
    sizes = {
        "train_pairs": splits["train"]["pairs"], "train_loops": splits["train"]["loops"],
        "validation_pairs": splits["validation"]["pairs"], "validation_loops": splits["validation"]["loops"],
        "classification": info.counts["classification_items"], "ranking_pairs": info.counts["ranking_items"],
    }
    has_truth = (args.data / "truth.json").is_file() and not args.no_ladder
    m = Measured(sizes=sizes)
    work = Path(tempfile.mkdtemp(prefix="nlc-paper-cost-"))
    load_start = os.getloadavg()
    start = time.perf_counter()
    print(f"build {args.data}: {sizes}")
    print(f"machine: os.cpu_count() = {os.cpu_count()}, torch threads = {torch.get_num_threads()}, device "
          f"{args.device}, load average {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f}; work dir {work}")

    measure_cache(args.data, work / "cache", m)
    submissions: dict[str, Path] = {}
    for model in ("cnn", "snn"):
        for method in args.methods:
            sub = measure_training(args.data, work, m, model=model, method=method, pairs=args.pairs, device=args.device)
            submissions.setdefault(model, sub)
            print(f"  timed {model}/{method}: train {m.train[(model, method)].wall:.1f} s, "
                  f"validation {m.val[(model, method)].wall:.1f} s", flush=True)
    submissions["automashupper"] = template_path("automashupper")
    submissions["random_baseline"] = template_path("random_baseline")
    results = measure_scoring(args.data, m, submissions, device=args.device, n_resamples=args.n_resamples)
    if has_truth:
        measure_ladder(args.data, m, results["random_baseline"], n_resamples=args.n_resamples)
    own = time.perf_counter() - start
    load_end = os.getloadavg()

    print("\nMEASURED on this build (whole stages unless a slice is named):")
    for part, cost in m.cache.items():
        print(_line(f"cache {part}", cost, f"{cost.items} items, {1e3 * cost.wall / cost.items:.2f} ms wall/item"))
    for key in m.train:
        model, method = key
        tr, va, ov = m.train[key], m.val[key], m.overhead[key]
        print(_line(f"{model}/{method} train epoch (slice)", tr,
                    f"{tr.items} positive pairs, {1e3 * tr.wall / tr.items:.1f} ms wall/pair"))
        print(_line(f"{model}/{method} validation pass", va,
                    f"{va.items} positive pairs, {1e3 * va.wall / va.items:.1f} ms wall/pair"))
        print(_line(f"{model}/{method} run overhead", ov, "once per run (setup, checkpoint, plot, submission)"))
    for name, stages in m.score.items():
        for stage, cost in stages.items():
            print(_line(f"score {name}: {stage}", cost, "CPU shared by wall share"))
    if m.ladder is not None:
        print(_line("ladder (oracle, chroma)", m.ladder, "random reused"))
    print(f"  (bench's own run: {own:.0f} s wall; load average at the end {load_end[0]:.2f} / {load_end[1]:.2f} / "
          f"{load_end[2]:.2f})")

    print("\nEXTRAPOLATED, linear in items per stage (see the module docstring):")
    print("  cache  = (audio + log-mel s/loop) x (train + validation loops) + mix s/pair x (train + validation pairs)")
    print("  train  = sum over 5 methods of [epochs x (train s/pair x N_train + validation s/pair x N_val) + overhead]"
          f"; methods not timed use {', '.join(f'{x}->{_family(x, args.methods)}' for x in METHODS)}")
    print("  score  = per entry: load_and_validate + other + (classification + metrics) x C/C_build "
          "+ ranking x (QxK)/(QxK)_build; CNN and SNN x5, AutoMashUpper and random x1")
    cores = os.cpu_count() or 1
    report: dict[str, Any] = {"build": str(args.data), "sizes": sizes, "device": args.device, "cores": cores,
                              "torch_threads": torch.get_num_threads(), "load_start": load_start, "load_end": load_end,
                              "pairs": args.pairs, "methods": args.methods, "bench_seconds": own, "targets": {}}
    report["measured"] = {
        "cache": {k: vars(v) for k, v in m.cache.items()},
        "train": {"/".join(k): vars(v) for k, v in m.train.items()},
        "validation": {"/".join(k): vars(v) for k, v in m.val.items()},
        "overhead": {"/".join(k): vars(v) for k, v in m.overhead.items()},
        "score": {n: {s: vars(c) for s, c in st.items()} for n, st in m.score.items()},
        "ladder": vars(m.ladder) if m.ladder else None,
    }
    for label, target, ladder in (("(a) this build, --scale paper", sizes, True),
                                  ("(b) the paper's dataset (Table 1)", PAPER, False)):
        print(f"\n{label}: {target['train_pairs']} train / {target['validation_pairs']} validation pairs, "
              f"{target['classification']} classification pairs, {target['ranking_pairs']} ranking pairs")
        for epochs in (EPOCHS_MAX, EPOCHS_EARLIEST):
            stages = extrapolate(m, target, epochs=epochs, ladder=ladder)
            total = Cost()
            for cost in stages.values():
                total = total + cost
            why = "no early stop (upper bound)" if epochs == EPOCHS_MAX else "earliest early stop (lower bound)"
            print(f" {epochs} epochs, {why}:")
            for stage, cost in stages.items():
                print(_line(stage, cost, ""))
            print(f"  TOTAL {total.cpu / 3600:.2f} CPU hours, {total.wall / 3600:.2f} wall hours on this machine's "
                  f"{cores} cores (stages run one after another, at the measured load; on average "
                  f"{total.cpu / max(total.wall, 1e-9):.2f} cores busy)")
            report["targets"][f"{label} / {epochs} epochs"] = {
                "stages": {k: vars(v) for k, v in stages.items()},
                "cpu_hours": total.cpu / 3600, "wall_hours": total.wall / 3600}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=list) + "\n")
        print(f"\nfigures written to {args.json}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)  # the caches of a build are its size again, or more
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
