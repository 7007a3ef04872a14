"""``nlc-bench reproduce table2``: the paper's Table 2, trained, scored and rendered.

For each model (CNN, Siamese NN) and each of the five negative sampling methods, a
baseline is trained with :func:`nlc.baselines.train.train_baseline` into
``OUT/runs/<model>-<method>/`` and scored on the frozen protocol; AutoMashUpper and the
random baseline are scored from their shipped submission files. Every entry's results go
to ``OUT/results/<entry>.json`` as soon as it finishes, so a re-run skips finished
entries (resume) and an entry that fails is recorded in ``OUT/failures.json`` with its
reason while the others go on (the command still exits 0 unless no entry could be scored). The table is written in the paper's layout as
``OUT/table2.md`` and ``OUT/table2.png``, plus ``OUT/table2_ci.md`` with the 95% bootstrap
intervals. The best figure of each column is bold, as in the paper.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlc.benchmark.bootstrap import N_RESAMPLES
from nlc.benchmark.report import fmt, markdown_table
from nlc.benchmark.results import BenchmarkResults, load_results, save_results
from nlc.benchmark.scoring import DEFAULT_BATCH_SIZE
from nlc.errors import InputError, NLCError

NEGATIVES: tuple[str, ...] = ("random", "selected", "reverse", "shift", "rearrange")
"""The paper's five negative sampling methods, in its row order."""
MODELS: tuple[tuple[str, str], ...] = (("cnn", "CNN"), ("snn", "Siamese NN"))
"""(training name, row label) of the trained models, in the paper's order."""
REFERENCES: tuple[tuple[str, str], ...] = (("automashupper", "AutoMashUpper"), ("random_baseline", "Random"))
"""(submission template, row label) of the untrained reference entries."""
COLUMNS: tuple[tuple[str, str, int, bool], ...] = (
    ("accuracy", "Accuracy", 2, True), ("f1", "F1 score", 2, True), ("average_rank", "Avg. rank", 1, False),
    ("top10", "Top 10", 2, True), ("top30", "Top 30", 2, True), ("top50", "Top 50", 2, True),
)
"""(metric, column title, decimals, higher is better) of Table 2."""


@dataclass(frozen=True)
class Entry:
    """One row of Table 2."""

    key: str          # file name stem under OUT/results and OUT/runs
    model: str        # row label of the model
    negatives: str    # row label of the negative sampling method ("-" for references)


def entries(negatives: Sequence[str] = NEGATIVES) -> list[Entry]:
    """Rows of Table 2 in the paper's order (the given negatives), then the reference baselines."""
    unknown = sorted(set(negatives) - set(NEGATIVES))
    if unknown:
        raise InputError(f"unknown negative sampling method(s) {unknown}; expected some of {NEGATIVES}")
    rows = [Entry(f"{m}-{n}", label, n.capitalize()) for m, label in MODELS for n in NEGATIVES if n in negatives]
    return rows + [Entry(t, label, "-") for t, label in REFERENCES]


def _finished(path: Path, content_hash: str) -> BenchmarkResults | None:
    """Results of an entry already scored on this protocol, else None."""
    if not path.is_file():
        return None
    try:
        res = load_results(path)
    except NLCError:
        return None
    return res if res.dataset.content_hash == content_hash else None


def _submission(entry: Entry, *, data: Path, out: Path, epochs: int, seed: int, device: str, progress: bool,
                max_train_pairs: int | None) -> Path:
    if entry.negatives == "-":
        from nlc.baselines.export import template_path

        return template_path(entry.key)
    from nlc.baselines.train import train_baseline

    model, negatives = entry.key.split("-", 1)
    # One feature cache for all ten runs: they read the same loops of the same build.
    return Path(train_baseline(model=model, negatives=negatives, data=data, out=out / "runs" / entry.key,
                               epochs=epochs, seed=seed, device=device, progress=progress,
                               max_train_pairs=max_train_pairs, cache_dir=out / "feature-cache"))


def table2_markdown(rows: list[tuple[Entry, BenchmarkResults | None]], *, intervals: bool = False) -> str:
    """Table 2 in the paper's layout; the best value per column in bold; failed rows as "-"."""
    done = [r for _, r in rows if r is not None]
    best = {}
    for field, _, decimals, higher in COLUMNS:
        values = [round(getattr(r.metrics, field), decimals) for r in done]
        best[field] = (max(values) if higher else min(values)) if values else None
    body = []
    for entry, res in rows:
        cells = [entry.model, entry.negatives]
        for field, _, decimals, _ in COLUMNS:
            if res is None:
                cells.append("-")
                continue
            value = getattr(res.metrics, field)
            ci = getattr(res.intervals, field)
            text = fmt(value, decimals, (ci.low, ci.high) if intervals else None)
            cells.append(f"**{text}**" if round(value, decimals) == best[field] else text)
        body.append(cells)
    return markdown_table(["Model", "Negative sampling", *(c[1] for c in COLUMNS)], body)


def table2_png(rows: list[tuple[Entry, BenchmarkResults | None]], path: Path) -> Path:
    """Render Table 2 as a PNG (matplotlib table), best values in bold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = table2_markdown(rows).splitlines()[2:]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    header = ["Model", "Negative sampling", *(c[1] for c in COLUMNS)]
    fig, ax = plt.subplots(figsize=(9, 0.32 * (len(cells) + 2)))
    ax.axis("off")
    table = ax.table(cellText=[[c.replace("**", "") for c in row] for row in cells], colLabels=header,
                     loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.auto_set_column_width(col=list(range(len(header))))
    table.scale(1.0, 1.3)
    for (r, c), cell in table.get_celld().items():
        if r == 0 or (r > 0 and cells[r - 1][c].startswith("**")):
            cell.set_text_props(fontweight="bold")
    ax.set_title("Table 2: objective evaluation (nlc-bench reproduction)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def reproduce_table2(
    *, data: str | os.PathLike[str], out: str | os.PathLike[str], epochs: int = 5, seed: int = 0,
    device: str = "cpu", batch_size: int = DEFAULT_BATCH_SIZE, n_resamples: int = N_RESAMPLES, progress: bool = False,
    negatives: Sequence[str] = NEGATIVES, log: Callable[[str], None] = lambda _: None,
    max_train_pairs: int | None = None,
) -> str:
    """Train, score and tabulate every row of Table 2; returns the markdown table.

    Parameters
    ----------
    data : path-like
        The ``nlc-loops/`` folder (training data and frozen protocol).
    out : path-like
        Output folder (runs, per-entry results, the table files); reused to resume.
    epochs, seed, device
        Passed to :func:`~nlc.baselines.train.train_baseline` (and ``seed``/``device`` to the runs).
    batch_size, n_resamples, progress
        Passed to :func:`~nlc.benchmark.run.run_benchmark`.
    negatives : sequence of str, default all five
        Negative sampling methods to train with (a subset gives a partial table).
    max_train_pairs : int or None, default None
        Train each baseline on at most this many positive pairs per epoch (None: all);
        the demo uses it to fit ten trainings into minutes on two cores.
    """
    from nlc.benchmark.run import open_protocol, run_benchmark

    data, out = Path(data), Path(out)
    protocol = open_protocol(data)
    failures: dict[str, str] = {}
    rows: list[tuple[Entry, BenchmarkResults | None]] = []
    todo = entries(negatives)
    for k, entry in enumerate(todo, 1):
        result_path = out / "results" / f"{entry.key}.json"
        res = _finished(result_path, protocol.content_hash)
        if res is not None:
            log(f"[{k}/{len(todo)}] {entry.key}: already finished, kept")
        else:
            log(f"[{k}/{len(todo)}] {entry.key}: {'scoring' if entry.negatives == '-' else 'training and scoring'}")
            try:
                sub = _submission(entry, data=data, out=out, epochs=epochs, seed=seed, device=device,
                                  progress=progress, max_train_pairs=max_train_pairs)
                res = run_benchmark(sub, protocol, seed=seed, device=device, batch_size=batch_size,
                                    n_resamples=n_resamples, progress=progress, name=entry.key, log=log)
                save_results(res, result_path)
            except NLCError as exc:
                failures[entry.key] = str(exc)
                log(f"[{k}/{len(todo)}] {entry.key}: FAILED, skipped ({exc})")
                res = None
        rows.append((entry, res))
    out.mkdir(parents=True, exist_ok=True)
    (out / "failures.json").write_text(json.dumps(failures, indent=1, sort_keys=True) + "\n")
    table = table2_markdown(rows)
    (out / "table2.md").write_text(table + "\n")
    (out / "table2_ci.md").write_text(table2_markdown(rows, intervals=True) + "\n")
    table2_png(rows, out / "table2.png")
    log(f"Table 2 written to {out / 'table2.md'} and {out / 'table2.png'}"
        + (f"; {len(failures)} entr{'y' if len(failures) == 1 else 'ies'} failed (see failures.json)" if failures else ""))
    return table
