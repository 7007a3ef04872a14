"""Commands of the benchmark: ``validate``, ``run``, ``compare``, ``results export`` and ``reproduce``.

Heavy imports (torch, pandas, the dataset reader) happen inside the handlers so that
``nlc-bench --help`` stays fast. Reports go to stdout (markdown), progress and stage
lines to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_FMT = argparse.ArgumentDefaultsHelpFormatter


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (bootstrap resamples), refused at parse time."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _sandbox(args: argparse.Namespace):
    """The sandbox limits the options ask for, or None (``--sandbox`` not given)."""
    if not args.sandbox:
        return None
    from nlc.sandbox import SandboxLimits

    return SandboxLimits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_processes=args.max_processes)


def _validate(args: argparse.Namespace) -> int:
    from nlc.benchmark.validate import validate_submission

    print(validate_submission(args.submission, seed=args.seed, sandbox=_sandbox(args)).summary())
    return 0


def _run(args: argparse.Namespace) -> int:
    from nlc.benchmark.report import run_report
    from nlc.benchmark.results import save_results
    from nlc.benchmark.run import open_protocol, run_benchmark

    data = open_protocol(args.data)
    results = run_benchmark(
        args.submission, data, seed=args.seed, device=args.device, batch_size=args.batch_size,
        n_resamples=args.n_resamples, progress=not args.no_progress, name=args.name, log=_log,
        sandbox=_sandbox(args),
    )
    save_results(results, args.out)
    print(run_report(results))
    _log(f"results written to {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from nlc.benchmark.compare import compare_results, comparison_report
    from nlc.benchmark.results import load_results

    comparison = compare_results(
        load_results(args.a), load_results(args.b), n_resamples=args.n_resamples, seed=args.seed,
    )
    print(comparison.model_dump_json(indent=1) if args.json else comparison_report(comparison))
    return 0


def _results_export(args: argparse.Namespace) -> int:
    from nlc.benchmark.model_index import model_index_yaml
    from nlc.benchmark.results import load_results

    sys.stdout.write(model_index_yaml(
        load_results(args.results), model_id=args.model_id, dataset_id=args.dataset_id,
        dataset_revision=args.dataset_revision,
    ))
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from nlc.benchmark.reproduce import reproduce_table2

    table = reproduce_table2(
        data=args.data, out=args.out, epochs=args.epochs, seed=args.seed, device=args.device,
        batch_size=args.batch_size, n_resamples=args.n_resamples, log=_log, progress=not args.no_progress,
        negatives=args.negatives, max_train_pairs=args.max_train_pairs,
    )
    print(table)
    # Failed entries are recorded in failures.json and shown as "-" rows (already logged);
    # the job itself succeeded unless no entry could be scored at all.
    return 1 if all(cell.strip() == "-" for line in table.splitlines()[2:] for cell in line.strip("|").split("|")[2:]) else 0


def _common_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="seed of the global generators before load_model() and of the bootstrap")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="device exported to the submission as NLC_DEVICE and recorded in the results")
    p.add_argument("--batch-size", type=_positive_int, default=64,
                   help="pairs (or loops, for embed) per call to the submission (scoring.DEFAULT_BATCH_SIZE)")
    p.add_argument("--n-resamples", type=_positive_int, default=1000, help="bootstrap resamples per 95%% confidence interval")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def add_sandbox_options(p: argparse.ArgumentParser, *, always: bool = False) -> None:
    """``--sandbox`` (unless ``always``) and its limits; defaults from :class:`nlc.sandbox.SandboxLimits`."""
    if not always:
        p.add_argument("--sandbox", action="store_true",
                       help="run the submission in a bubblewrap sandbox: no network, no view of the dataset or "
                            "of your files, its own user and processes, the limits below (see docs/benchmark.md)")
    p.add_argument("--timeout", type=float, default=3600.0, help="sandbox: wall-clock limit of the whole run, seconds")
    p.add_argument("--memory-mb", type=int, default=16384,
                   help="sandbox: address-space limit of the submission in MiB (0: none; CUDA needs 0)")
    p.add_argument("--max-processes", type=_positive_int, default=256,
                   help="sandbox: processes and threads the submission may add")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate", formatter_class=_FMT, help="check a submission file on generated audio in seconds",
        description="Load a submission and check the protocol on generated audio: functions, output shapes, "
        "finite scores, batch independence, determinism, embed/score agreement. Writes nothing.",
    )
    p.add_argument("submission", type=Path, help="the submission's .py file (see docs/benchmark.md)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated noise")
    add_sandbox_options(p)
    p.set_defaults(handler=_validate)

    p = subparsers.add_parser(
        "run", formatter_class=_FMT, help="score a submission on the frozen protocol; write results JSON",
        description="Validate a submission, score the frozen classification and ranking protocol of an "
        "nlc-loops folder, print the metrics as a markdown table and write the full results (every per-item "
        "score, bootstrap intervals, provenance) as JSON. Nothing is written if the submission fails.",
    )
    p.add_argument("submission", type=Path, help="the submission's .py file")
    p.add_argument("--data", type=Path, required=True, help="the nlc-loops/ dataset folder")
    p.add_argument("--out", type=Path, required=True, help="results JSON file to write")
    p.add_argument("--name", help="model name in the results; unset: the file stem, or the folder name of a submission.py")
    _common_run_options(p)
    add_sandbox_options(p)
    p.set_defaults(handler=_run)

    p = subparsers.add_parser(
        "compare", formatter_class=_FMT, help="paired significance tests between two result files",
        description="Compare two results files of the same protocol item by item: Wilcoxon signed-rank on "
        "target ranks, McNemar on classification correctness, paired bootstrap of every figure's difference.",
    )
    p.add_argument("a", type=Path, help="results JSON of model A")
    p.add_argument("b", type=Path, help="results JSON of model B (differences are B - A)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON instead of markdown")
    p.add_argument("--n-resamples", type=_positive_int, default=1000, help="paired bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="seed of the paired bootstrap")
    p.set_defaults(handler=_compare)

    results = subparsers.add_parser("results", formatter_class=_FMT, help="export a results file for other tools")
    sub = results.add_subparsers(dest="results_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "export", formatter_class=_FMT, help="print a results file as a model card's model-index YAML",
        description="Verify a results file and print its figures as the model-index block of a Hugging Face "
        "model card's YAML header (checked with huggingface_hub's parser; every metric verified: false).",
    )
    p.add_argument("results", type=Path, help="results JSON written by nlc-bench run")
    p.add_argument("--format", choices=("model-index",), default="model-index", help="output format")
    p.add_argument("--model-id", metavar="OWNER/NAME", help="the model's Hub id (model-index name); unset: the results' model name")
    p.add_argument("--dataset-id", default="nlc-loops", help="dataset type: nlc-loops, or its Hub id OWNER/nlc-loops")
    p.add_argument("--dataset-revision", metavar="REV", help="git revision of the dataset repository the protocol came from")
    p.set_defaults(handler=_results_export)

    p = subparsers.add_parser(
        "reproduce", formatter_class=_FMT, help="reproduce the paper's Table 2 (train, score, render)",
        description="Train the CNN and Siamese baselines with each of the five negative sampling methods, "
        "score them and AutoMashUpper and random on the frozen protocol, and render Table 2 as markdown and "
        "PNG. Finished runs are kept and skipped when re-run (resume).",
    )
    p.add_argument("table", choices=("table2",), help="which table of the paper")
    p.add_argument("--data", type=Path, required=True, help="the nlc-loops/ dataset folder")
    p.add_argument("--out", type=Path, default=Path("table2"), help="folder for trained runs, results and the table")
    p.add_argument("--epochs", type=int, default=5, help="training epochs per baseline")
    p.add_argument("--max-train-pairs", type=int, default=None,
                   help="positive training pairs per epoch and baseline (None: all of the train split)")
    p.add_argument("--negatives", nargs="+", default=["random", "selected", "reverse", "shift", "rearrange"],
                   metavar="METHOD", help="negative sampling methods to train with (a subset gives a partial table)")
    _common_run_options(p)
    p.set_defaults(handler=_reproduce)
