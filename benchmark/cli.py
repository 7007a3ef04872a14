"""Commands of the benchmark: ``validate``, ``run``, ``compare``, ``results export`` and ``reproduce``.

Heavy imports (torch, pandas, the dataset reader) happen inside the handlers so that
``nlc-bench --help`` stays fast. Reports go to stdout (markdown, or JSON with ``--json``),
progress and stage lines to stderr (see :class:`nlc.cli.Console`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nlc.cli import add_json_option, console


SCALE_NAMES: tuple[str, ...] = ("paper", "demo")
"""Choices of ``reproduce --scale``: the keys of :data:`nlc.benchmark.reproduce.SCALES`."""


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (bootstrap resamples, epochs, pairs), refused at parse time."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _sandbox(args: argparse.Namespace) -> Any:
    """The sandbox limits the options ask for, or None (``--sandbox`` not given)."""
    if not args.sandbox:
        return None
    from nlc.sandbox import SandboxLimits

    return SandboxLimits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_processes=args.max_processes)


def _validate(args: argparse.Namespace) -> int:
    from nlc.benchmark.validate import validate_submission

    report = validate_submission(args.submission, seed=args.seed, sandbox=_sandbox(args))
    console(args).report(report.summary(), report)
    return 0


def _figures(results: Any) -> dict[str, Any]:
    """A results file's figures without its per-item outputs: what ``run --json`` prints."""
    return {
        "model": results.model, "dataset": results.dataset, "run": results.run,
        "main_score": results.main_score, "metrics": results.metrics, "intervals": results.intervals,
        "timing": results.timing,
    }


def _run(args: argparse.Namespace) -> int:
    from nlc.benchmark.report import run_report
    from nlc.benchmark.results import save_results
    from nlc.benchmark.run import open_protocol, run_benchmark

    out = console(args)
    data = open_protocol(args.data)
    results = run_benchmark(
        args.submission, data, seed=args.seed, device=args.device, batch_size=args.batch_size,
        n_resamples=args.n_resamples, progress=out.progress, name=args.name, log=out.info,
        sandbox=_sandbox(args),
    )
    save_results(results, args.out)
    out.detail("provenance: " + ", ".join(f"{k} {v}" for k, v in results.run.package_versions.items()))
    for stage, seconds in results.timing.stages_s.items():
        out.detail(f"time: {stage} {seconds:.1f} s")
    out.report(run_report(results), {"results_file": args.out, **_figures(results)})
    out.info(f"results written to {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from nlc.benchmark.compare import compare_results, comparison_report
    from nlc.benchmark.results import load_results

    comparison = compare_results(
        load_results(args.a), load_results(args.b), n_resamples=args.n_resamples, seed=args.seed,
    )
    console(args).report(None if args.json else comparison_report(comparison), comparison)
    return 0


def _results_export(args: argparse.Namespace) -> int:
    from nlc.benchmark.model_index import model_index, model_index_yaml
    from nlc.benchmark.results import load_results

    results = load_results(args.results)
    options = {"model_id": args.model_id, "dataset_id": args.dataset_id, "dataset_revision": args.dataset_revision}
    if args.json:
        console(args).report(None, {"model-index": model_index(results, **options)})
    else:
        sys.stdout.write(model_index_yaml(results, **options))
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from nlc.benchmark.reproduce import entries, reproduce_table2, training_scale
    from nlc.benchmark.results import load_results

    out = console(args)
    # The scale's preset, with the explicit flags (not None) in place of its settings.
    scale = training_scale(args.scale, epochs=args.epochs, patience=args.patience, max_train_pairs=args.max_train_pairs)
    table = reproduce_table2(
        data=args.data, out=args.out, scale=scale, seed=args.seed, device=args.device,
        batch_size=args.batch_size, n_resamples=args.n_resamples, log=out.info, progress=out.progress,
        negatives=args.negatives,
    )
    failures_file = Path(args.out) / "failures.json"
    failures: dict[str, str] = json.loads(failures_file.read_text()) if failures_file.is_file() else {}
    rows, scored = [], 0
    for entry in entries(args.negatives):
        path = Path(args.out) / "results" / f"{entry.key}.json"
        done = entry.key not in failures and path.is_file()
        scored += done
        # Re-read (unverified: reproduce_table2 just wrote or checked them) only for -v and --json.
        res = load_results(path, verify=False) if done and (out.verbose or out.json) else None
        if res is not None:
            out.detail(f"{entry.key}: ROC-AUC {res.main_score:.3f}, accuracy {res.metrics.accuracy:.3f}, "
                       f"average rank {res.metrics.average_rank:.1f}")
        rows.append({"entry": entry.key, "model": entry.model, "negatives": entry.negatives,
                     "results_file": path if done else None, "failure": failures.get(entry.key),
                     "main_score": res.main_score if res is not None else None,
                     "metrics": res.metrics if res is not None else None,
                     "intervals": res.intervals if res is not None else None})
    out.report(table, {"table": "table2", "out": args.out, "scale": scale.record(), "rows": rows})
    # Failed entries are recorded in failures.json and shown as "-" rows (already logged);
    # the job itself succeeded unless no entry could be scored at all.
    return 0 if scored else 1


def _common_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0,
                   help="seed (an integer) of the global generators before load_model() and of the bootstrap")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="device exported to the submission as NLC_DEVICE and recorded in the results")
    p.add_argument("--batch-size", type=_positive_int, default=64, metavar="N",
                   help="pairs (or loops, for embed) per call to the submission")
    p.add_argument("--n-resamples", type=_positive_int, default=1000, metavar="N",
                   help="bootstrap resamples per 95%% confidence interval")


def add_sandbox_options(p: argparse.ArgumentParser, *, always: bool = False) -> None:
    """``--sandbox`` (unless ``always``) and its limits; defaults from :class:`nlc.sandbox.SandboxLimits`."""
    if not always:
        p.add_argument("--sandbox", action="store_true",
                       help="run the submission in a bubblewrap sandbox: no network, no view of the dataset or "
                            "of your files, its own user and processes, the limits below (see docs/benchmark.md)")
    from nlc.sandbox import SandboxLimits

    limits = SandboxLimits()
    p.add_argument("--timeout", type=float, default=limits.timeout_s, metavar="SECONDS",
                   help="sandbox: wall-clock limit of the whole run, in seconds")
    p.add_argument("--memory-mb", type=int, default=limits.memory_mb, metavar="MIB",
                   help="sandbox: address-space limit of the submission, in MiB (0: none; CUDA needs 0)")
    p.add_argument("--max-processes", type=_positive_int, default=limits.max_processes, metavar="N",
                   help="sandbox: number of processes and threads the submission may add")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate", help="check a submission file on generated audio in seconds",
        description="Load a submission and check the protocol on generated audio: functions, output shapes, "
        "finite scores, batch independence, determinism, embed/score agreement. Writes nothing.",
    )
    p.add_argument("submission", type=Path, help="the submission's .py file (see docs/benchmark.md)")
    p.add_argument("--seed", type=int, default=0, help="seed (an integer) of the generated noise")
    add_sandbox_options(p)
    add_json_option(p, help="print what the checks measured (threshold, embedding size, seconds, pairs per "
                            "second) as one JSON document on stdout instead of the summary line")
    p.set_defaults(handler=_validate)

    p = subparsers.add_parser(
        "run", help="score a submission on the frozen protocol; write results JSON",
        description="Validate a submission, score the frozen classification and ranking protocol of an "
        "nlc-loops folder, print the metrics as a markdown table and write the full results (every per-item "
        "score, bootstrap intervals, provenance) as JSON. Nothing is written if the submission fails.",
    )
    p.add_argument("submission", type=Path, help="the submission's .py file")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="the nlc-loops/ dataset folder")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="results JSON file to write")
    p.add_argument("--name", help="model name in the results (default: the file stem, or the folder name "
                                  "of a submission.py)")
    _common_run_options(p)
    add_sandbox_options(p)
    add_json_option(p, help="print the figures (metrics, intervals, provenance; no per-item scores, those are "
                            "in --out) as one JSON document on stdout instead of the markdown report")
    p.set_defaults(handler=_run)

    p = subparsers.add_parser(
        "compare", help="paired significance tests between two result files",
        description="Compare two results files of the same protocol item by item: Wilcoxon signed-rank on "
        "target ranks, McNemar on classification correctness, paired bootstrap of every figure's difference.",
    )
    p.add_argument("a", type=Path, help="results JSON of model A")
    p.add_argument("b", type=Path, help="results JSON of model B (differences are B - A)")
    p.add_argument("--n-resamples", type=_positive_int, default=1000, metavar="N", help="paired bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="seed (an integer) of the paired bootstrap")
    add_json_option(p, help="print the comparison as one JSON document on stdout instead of markdown")
    p.set_defaults(handler=_compare)

    results = subparsers.add_parser("results", help="export a results file for other tools")
    sub = results.add_subparsers(dest="results_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "export", help="print a results file as a model card's model-index YAML",
        description="Verify a results file and print its figures as the model-index block of a Hugging Face "
        "model card's YAML header (checked with huggingface_hub's parser; every metric verified: false).",
    )
    p.add_argument("results", type=Path, help="results JSON written by nlc-bench run")
    p.add_argument("--format", choices=("model-index",), default="model-index", help="output format")
    p.add_argument("--model-id", metavar="OWNER/NAME",
                   help="the model's Hub id, the model-index name (default: the results' model name)")
    p.add_argument("--dataset-id", default="nlc-loops", help="dataset type: nlc-loops, or its Hub id OWNER/nlc-loops")
    p.add_argument("--dataset-revision", metavar="REV", help="git revision of the dataset repository the protocol came from")
    add_json_option(p, help="print the model-index block as one JSON document instead of YAML")
    p.set_defaults(handler=_results_export)

    p = subparsers.add_parser(
        "reproduce", help="reproduce the paper's Table 2 (train, score, render)",
        description="Train the CNN and Siamese baselines with each of the five negative sampling methods, "
        "score them and AutoMashUpper and random on the frozen protocol, and render Table 2 as markdown and "
        "PNG. Finished runs are kept and skipped when re-run (resume).",
    )
    p.add_argument("table", choices=("table2",), help="which table of the paper")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="the nlc-loops/ dataset folder")
    p.add_argument("--out", type=Path, default=Path("table2"), metavar="DIR",
                   help="folder for trained runs, results and the table")
    # The presets live in nlc.benchmark.reproduce.SCALES (imported by the handler only, to keep
    # --help fast); tests/benchmark/test_reproduce.py keeps this text and the choices in step with it.
    p.add_argument("--scale", choices=SCALE_NAMES, default="paper",
                   help="training budget of every baseline. paper: at most 10 epochs, early stop after 3 epochs "
                        "without a lower validation loss, the whole train split every epoch (the paper's training; "
                        "hours on 2 CPU cores). demo: 4 epochs of 256 positive pairs each, same early stop (ten "
                        "trainings in minutes). --epochs, --patience and --max-train-pairs override it")
    p.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                   help="maximum training epochs per baseline, instead of the scale's")
    p.add_argument("--patience", type=_positive_int, default=None, metavar="EPOCHS",
                   help="epochs without a lower validation loss before a baseline stops, instead of the scale's")
    p.add_argument("--max-train-pairs", type=_positive_int, default=None, metavar="N",
                   help="positive training pairs drawn per epoch and baseline, instead of the scale's "
                        "(--scale paper: all of the train split)")
    p.add_argument("--negatives", nargs="+", default=["random", "selected", "reverse", "shift", "rearrange"],
                   metavar="METHOD", help="negative sampling methods to train with (a subset gives a partial table)")
    _common_run_options(p)
    add_json_option(p, help="print every row's figures (metrics, intervals, or the failure) as one JSON "
                            "document on stdout instead of the markdown table")
    p.set_defaults(handler=_reproduce)
