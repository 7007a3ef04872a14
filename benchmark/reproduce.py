"""``nlc-bench reproduce table2``: the paper's Table 2, trained, scored and rendered.

For each model (CNN, Siamese NN) and each of the five negative sampling methods, a
baseline is trained with :func:`nlc.baselines.train.train_baseline` into
``OUT/runs/<model>-<method>/`` and scored on the frozen protocol; AutoMashUpper and the
random baseline are scored from their shipped submission files. Every entry's results go
to ``OUT/results/<entry>.json`` as soon as it finishes, so a re-run skips finished
entries (resume) and an entry that fails is recorded in ``OUT/failures.json`` with its
reason while the others go on (the command still exits 0 unless no entry could be
scored).

The table is written in the paper's layout as ``OUT/table2.md``, plus ``OUT/table2_ci.md``
with the 95% bootstrap intervals, and plotted as ``OUT/table2.png`` (every figure with its
interval, see :mod:`nlc.benchmark.table2_figure`). Unlike the paper, a column's best value is
bold only when a paired test separates it from the runner-up (:func:`column_tests`), and a
top-k column reads "n/a" when no query has more than k candidates; a footnote under each
table says so, with each column's test and p-value. For a release with ground truth
(``truth.json``: the synthetic and lmms corpora) the validity ladder (oracle, audible oracle, chroma
reference, random floor; :mod:`nlc.benchmark.ladder`) is scored beside it into ``OUT/ladder.md``.

How long each baseline trains is one choice, a :class:`Scale` from :data:`SCALES`: ``paper``
(the default; the paper's budget, every training pair every epoch) or ``demo`` (ten trainings
in minutes on two cores); explicit ``epochs``, ``patience`` and ``max_train_pairs`` override a
preset. The budget used is written to ``OUT/scale.json`` and under the table, and a folder
whose trained results came from another budget is refused rather than silently mixed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nlc.atomic import write_text
from nlc.benchmark.bootstrap import N_RESAMPLES
from nlc.benchmark.compare import Comparison, compare_results, mcnemar
from nlc.benchmark.metrics import METRIC_TABLE, TOP_K
from nlc.benchmark.report import NOT_APPLICABLE, fmt, markdown_table, top_k_cutoff, top_k_trivial
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
class Scale:
    """A training budget for Table 2's ten baselines: how many epochs, on how many pairs.

    The budget decides what the table means: the paper's figures come from models trained on
    the whole training split until early stopping, while a demo table trained on a slice for a
    few epochs measures the pipeline, not the method. Naming the budget (and recording it with
    the table) keeps the two from being mistaken for each other.
    """

    name: str
    """The preset's name (a key of :data:`SCALES`)."""
    epochs: int
    """Maximum training epochs per baseline (early stopping may end sooner)."""
    patience: int
    """Epochs without a lower validation loss after which training stops."""
    max_train_pairs: int | None
    """Positive training pairs drawn per epoch and baseline; None: the whole train split."""
    overrides: tuple[str, ...] = ()
    """Fields set explicitly over the preset (``epochs``, ``patience``, ``max_train_pairs``)."""

    def __post_init__(self) -> None:
        for field in ("epochs", "patience"):
            if getattr(self, field) < 1:
                raise InputError(f"{field} must be >= 1, got {getattr(self, field)}")
        if self.max_train_pairs is not None and self.max_train_pairs < 1:
            raise InputError(f"max_train_pairs must be >= 1 (or None: all), got {self.max_train_pairs}")

    def record(self) -> dict[str, object]:
        """The budget as written to ``OUT/scale.json`` and compared on a re-run."""
        return {"scale": self.name, "epochs": self.epochs, "patience": self.patience,
                "max_train_pairs": self.max_train_pairs, "overrides": list(self.overrides)}

    def describe(self) -> str:
        """One sentence for the table's footnote: the preset, its overrides and what they amount to."""
        pairs = "every training pair" if self.max_train_pairs is None else f"{self.max_train_pairs} positive training pairs"
        name = self.name + (f" with {', '.join(self.overrides)} overridden" if self.overrides else "")
        return (f"Training budget: scale {name}: at most {self.epochs} epochs per baseline, early stop after "
                f"{self.patience} epochs without a lower validation loss, {pairs} per epoch.")


SCALES: dict[str, Scale] = {
    "paper": Scale("paper", epochs=10, patience=3, max_train_pairs=None),
    "demo": Scale("demo", epochs=4, patience=3, max_train_pairs=256),
}
"""The training budgets ``reproduce table2 --scale`` offers.

``paper``: the whole training split every epoch, as the paper trains (section 4.2). The paper
gives neither an epoch count nor an early-stopping rule, so its epochs and patience are the
documented defaults of :class:`nlc.baselines.train.TrainConfig` (at most 10 epochs, stop after
3 without a lower validation loss). ``demo``: what ``scripts/demo.sh`` runs (4 epochs of 256
positive pairs each, same patience), which fits ten trainings into minutes on two cores."""
DEFAULT_SCALE: str = "paper"
"""The scale of ``reproduce table2`` without ``--scale``: the command reproduces the paper."""
SCALE_FILE: str = "scale.json"
"""Name of the record of the training budget in the output folder."""


def training_scale(scale: str | Scale = DEFAULT_SCALE, *, epochs: int | None = None, patience: int | None = None,
                   max_train_pairs: int | None = None) -> Scale:
    """The preset ``scale`` with any explicitly given setting in place of the preset's.

    A scale is chosen for the common case and a flag adjusts one setting without restating the
    others; None leaves the preset's value (to train on every pair, choose ``paper``). A setting
    that differs from the preset is listed in :attr:`Scale.overrides`, so the record says the
    budget was not the preset's.

    Parameters
    ----------
    scale : str or Scale, default "paper"
        A key of :data:`SCALES`, or a scale to start from.
    epochs, patience, max_train_pairs : int or None, default None
        Settings to use instead of the preset's.

    Raises
    ------
    InputError
        An unknown preset, or a setting below 1.
    """
    if isinstance(scale, str):
        if scale not in SCALES:
            raise InputError(f"unknown scale {scale!r}; expected one of {tuple(SCALES)}")
        scale = SCALES[scale]
    wanted = Scale(scale.name, scale.epochs if epochs is None else epochs, scale.patience if patience is None else patience,
                   scale.max_train_pairs if max_train_pairs is None else max_train_pairs)
    changed = tuple(k for k in ("epochs", "patience", "max_train_pairs") if getattr(wanted, k) != getattr(scale, k))
    if not changed:
        return scale
    return replace(wanted, overrides=tuple(dict.fromkeys((*scale.overrides, *changed))))


def _check_scale(out: Path, scale: Scale) -> None:
    """Refuse ``out`` if it holds trained results of another budget; else record this one.

    A finished entry is kept on a re-run (resume) when it matches the protocol, which says
    nothing about how long it trained: without this check a paper-scale run in a demo folder
    would report the demo's models under the paper's budget. Every trained entry counts, not
    only this run's ``negatives``: the record covers the folder. A folder without the record
    (written before it existed) cannot be checked and is taken as it is.
    """
    path = out / SCALE_FILE
    budget = ("epochs", "patience", "max_train_pairs")
    trained = [e.key for e in entries() if e.negatives != "-" and (out / "results" / f"{e.key}.json").is_file()]
    if path.is_file() and trained:
        try:
            before = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: unreadable record of the training budget ({exc}); delete it to go on") from exc
        now = scale.record()
        if {k: before.get(k) for k in budget} != {k: now[k] for k in budget}:
            raise InputError(
                f"{out} holds results trained with another budget (scale {before.get('scale')}: "
                + ", ".join(f"{k} {before.get(k)}" for k in budget) + f"; asked: scale {scale.name}: "
                + ", ".join(f"{k} {now[k]}" for k in budget) + f"); choose another --out, or delete "
                f"{out / 'results'} to retrain")
    write_text(path, json.dumps(scale.record(), indent=1) + "\n")


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


def _submission(entry: Entry, *, data: Path, out: Path, scale: Scale, seed: int, device: str, progress: bool) -> Path:
    if entry.negatives == "-":
        from nlc.baselines.export import template_path

        return template_path(entry.key)
    from nlc.baselines.train import train_baseline

    model, negatives = entry.key.split("-", 1)
    # One feature cache for all ten runs: they read the same loops of the same build.
    return Path(train_baseline(model=model, negatives=negatives, data=data, out=out / "runs" / entry.key,
                               epochs=scale.epochs, patience=scale.patience, seed=seed, device=device,
                               progress=progress, max_train_pairs=scale.max_train_pairs,
                               cache_dir=out / "feature-cache"))


SEPARATION_ALPHA: float = 0.05
"""Level of the paired two-sided test that must separate a column's best entry from its
runner-up before the best is set in bold."""
TESTS: dict[str, str] = {
    "accuracy": "McNemar's test on per-pair correctness",
    "f1": "paired bootstrap of the difference",
    "roc_auc": "paired bootstrap of the difference",
    "average_rank": "Wilcoxon signed-rank test on per-query target ranks",
    **{f"top{k}": "McNemar's test on per-query hits (target within the top k)" for k in TOP_K},
}
"""Which paired test of :mod:`nlc.benchmark.compare` decides each figure: the test made for
the figure's per-item outcome where there is one (correctness and hits are paired binary
outcomes, ranks are paired ordinal ones); F1 and ROC-AUC are not per-item sums, so only the
paired bootstrap of their difference applies."""


@dataclass(frozen=True)
class ColumnTest:
    """Whether one figure's best Table 2 entry is separated from its runner-up.

    ``best`` and ``runner_up`` index the rows given to :func:`column_tests` (None when fewer
    than two rows have a usable figure); ``p_value`` is None when no test was run (no
    runner-up, a tie, a trivial top-k, results from different protocols: ``note`` says which).
    """

    field: str
    best: int | None
    runner_up: int | None
    test: str
    """The test, as the footnote names it (with the bootstrap's resamples and seed)."""
    p_value: float | None
    separated: bool
    alpha: float = SEPARATION_ALPHA
    note: str = ""


def _value(res: BenchmarkResults, field: str) -> float:
    return float(getattr(res.metrics, field))


def _ranks(res: BenchmarkResults) -> np.ndarray:
    return np.array([q.target_rank for q in res.ranking])


def _paired_p(field: str, best: BenchmarkResults, runner_up: BenchmarkResults, comparison: Comparison) -> float:
    """Two-sided p-value of the figure's paired test, runner-up (A) against best (B)."""
    if field == "accuracy":
        return comparison.mcnemar.p_value
    if field == "average_rank":
        return comparison.wilcoxon_ranks.p_value
    k = top_k_cutoff(field)
    if k is not None:
        return mcnemar(_ranks(runner_up) <= k, _ranks(best) <= k).p_value
    return next(d.p_value for d in comparison.differences if d.figure == field)


def column_tests(
    rows: Sequence[tuple[Entry, BenchmarkResults | None]], *, alpha: float = SEPARATION_ALPHA,
    n_resamples: int = N_RESAMPLES, seed: int = 0,
) -> dict[str, ColumnTest]:
    """Test, per figure, the best entry against the runner-up on the same items.

    Bold in the paper's Table 2 marks the best value of a column; with a few hundred test
    items most "best" values are within noise of the next (their intervals overlap), so a
    highlight needs evidence. Here the best is marked only when the figure's paired test
    (:data:`TESTS`, computed by :mod:`nlc.benchmark.compare` on the two entries' per-item
    outputs) rejects equality at ``alpha``. Paired tests use that both entries scored exactly
    the same pairs and queries, so they separate far smaller differences than overlapping
    intervals suggest.

    Parameters
    ----------
    rows : sequence of (Entry, BenchmarkResults or None)
        Table 2's rows; None for an entry that failed (left out).
    alpha : float, default 0.05
        Level of the two-sided test.
    n_resamples, seed : int
        Paired bootstrap settings (F1 and ROC-AUC).

    Returns
    -------
    dict of figure key -> ColumnTest, for every figure of
    :data:`~nlc.benchmark.metrics.METRIC_TABLE` (Table 2's columns plus ROC-AUC, which the
    plot shows).
    """
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    comparisons: dict[tuple[int, int], Comparison | InputError] = {}
    out: dict[str, ColumnTest] = {}
    for info in METRIC_TABLE:
        field, test = info.key, TESTS[info.key]
        if "bootstrap" in test:
            test += f" ({n_resamples} resamples, seed {seed})"
        scored = [(i, r) for i, (_, r) in enumerate(rows) if r is not None]
        usable = [(i, r) for i, r in scored if not top_k_trivial(field, r.dataset.n_candidates)]
        if len(usable) < 2:
            note = "trivial: no query has more than k candidates" if scored and not usable else (
                "fewer than two scored entries")
            out[field] = ColumnTest(field, usable[0][0] if usable else None, None, test, None, False, alpha, note)
            continue
        sign = 1.0 if info.higher_is_better else -1.0
        # best first; equal figures keep the table's order
        (bi, best), (ri, runner) = sorted(usable, key=lambda ir: (-sign * _value(ir[1], field), ir[0]))[:2]
        if _value(best, field) == _value(runner, field):
            out[field] = ColumnTest(field, bi, ri, test, None, False, alpha, "tie")
            continue
        found = comparisons.get((ri, bi))
        if found is None:
            try:
                found = compare_results(runner, best, n_resamples=n_resamples, seed=seed)
            except InputError as exc:  # different protocols or items: a paired test does not apply
                found = exc
            comparisons[(ri, bi)] = found
        if isinstance(found, InputError):
            out[field] = ColumnTest(field, bi, ri, test, None, False, alpha, f"not comparable: {found}")
            continue
        p = _paired_p(field, best, runner, found)
        out[field] = ColumnTest(field, bi, ri, test, p, p < alpha, alpha)
    return out


def row_label(entry: Entry) -> str:
    """``CNN + reverse`` (the paper's names for a model and its negatives), or the reference's name."""
    return entry.model if entry.negatives == "-" else f"{entry.model} + {entry.negatives.lower()}"


def table2_footnote(rows: Sequence[tuple[Entry, BenchmarkResults | None]], tests: dict[str, ColumnTest]) -> str:
    """What bold and n/a mean under :func:`table2_markdown`, and each column's test and p-value."""
    by_test: dict[str, list[str]] = {}
    for field, title, _, _ in COLUMNS:
        by_test.setdefault(tests[field].test if field in tests else TESTS[field], []).append(title)
    how = "; ".join(f"{', '.join(titles)}: {test}" for test, titles in by_test.items())
    alpha = next(iter(tests.values())).alpha if tests else SEPARATION_ALPHA
    lines = [f"Bold: the best value of a column, only where a paired two-sided test on the same items separates "
             f"it from the runner-up at alpha = {alpha:g} ({how}). A column without bold has no separated best."]
    sizes = sorted({r.dataset.n_candidates for _, r in rows if r is not None})
    trivial = [title for field, title, _, _ in COLUMNS if sizes and all(top_k_trivial(field, n) for n in sizes)]
    if trivial:
        lines.append(f"{NOT_APPLICABLE}: {', '.join(trivial)}, because no query has more than {max(sizes)} "
                     "candidates, so every target ranks within the cut-off and every entry scores 1.00.")
    results = []
    for field, title, _, _ in COLUMNS:
        t = tests.get(field)
        if t is None or t.best is None or t.runner_up is None:
            continue
        versus = f"{row_label(rows[t.best][0])} vs {row_label(rows[t.runner_up][0])}"
        results.append(f"{title} {versus}, " + (f"p = {t.p_value:.3g}" if t.p_value is not None else t.note))
    if results:
        lines.append("Best vs runner-up: " + "; ".join(results) + ".")
    return "\n\n".join(lines)


def table2_markdown(rows: list[tuple[Entry, BenchmarkResults | None]], *, intervals: bool = False,
                    tests: dict[str, ColumnTest] | None = None, n_resamples: int = N_RESAMPLES,
                    seed: int = 0) -> str:
    """Table 2 in the paper's layout, then a footnote (see :func:`table2_footnote`).

    A failed row reads "-"; a top-k cell of a protocol with at most k candidates per query
    reads "n/a"; a cell is bold only when :func:`column_tests` separates it from the runner-up
    (``tests`` reuses tests already run; otherwise they are run with ``n_resamples``, ``seed``).
    """
    tests = column_tests(rows, n_resamples=n_resamples, seed=seed) if tests is None else tests
    body = []
    for i, (entry, res) in enumerate(rows):
        cells = [entry.model, entry.negatives]
        for field, _, decimals, _ in COLUMNS:
            if res is None:
                cells.append("-")
                continue
            if top_k_trivial(field, res.dataset.n_candidates):
                cells.append(NOT_APPLICABLE)
                continue
            ci = getattr(res.intervals, field)
            text = fmt(getattr(res.metrics, field), decimals, (ci.low, ci.high) if intervals else None)
            test = tests.get(field)
            cells.append(f"**{text}**" if test is not None and test.separated and test.best == i else text)
        body.append(cells)
    table = markdown_table(["Model", "Negative sampling", *(c[1] for c in COLUMNS)], body)
    return table + "\n\n" + table2_footnote(rows, tests)


def table2_png(rows: list[tuple[Entry, BenchmarkResults | None]], path: Path, *,
               tests: dict[str, ColumnTest] | None = None, n_resamples: int = N_RESAMPLES, seed: int = 0) -> Path:
    """Plot Table 2 with its intervals (:mod:`nlc.benchmark.table2_figure`) as a PNG at ``path``."""
    from nlc.benchmark.table2_figure import save_png, table2_figure

    tests = column_tests(rows, n_resamples=n_resamples, seed=seed) if tests is None else tests
    floor = next((i for i, (e, _) in enumerate(rows) if e.key == "random_baseline"), None)
    fig = table2_figure(
        [row_label(e) for e, _ in rows], [r for _, r in rows], groups=[e.model for e, _ in rows], floor=floor,
        best={f: t.best for f, t in tests.items() if t.separated and t.best is not None},
    )
    return save_png(fig, path)


def reproduce_table2(
    *, data: str | os.PathLike[str], out: str | os.PathLike[str], scale: str | Scale = DEFAULT_SCALE,
    epochs: int | None = None, patience: int | None = None, max_train_pairs: int | None = None, seed: int = 0,
    device: str = "cpu", batch_size: int = DEFAULT_BATCH_SIZE, n_resamples: int = N_RESAMPLES, progress: bool = False,
    negatives: Sequence[str] = NEGATIVES, log: Callable[[str], None] = lambda _: None,
) -> str:
    """Train, score and tabulate every row of Table 2; returns the markdown table.

    Parameters
    ----------
    data : path-like
        The ``nlc-loops/`` folder (training data and frozen protocol).
    out : path-like
        Output folder (runs, per-entry results, the table files); reused to resume.
    scale : str or Scale, default "paper"
        The training budget: a preset name of :data:`SCALES` or a :class:`Scale`.
    epochs, patience, max_train_pairs : int or None, default None
        Override the scale's setting (None keeps it); see :func:`training_scale`.
    seed, device
        Passed to :func:`~nlc.baselines.train.train_baseline` and to the runs.
    batch_size, n_resamples, progress
        Passed to :func:`~nlc.benchmark.run.run_benchmark`.
    negatives : sequence of str, default all five
        Negative sampling methods to train with (a subset gives a partial table).

    Raises
    ------
    InputError
        An unknown scale or negative method, a setting below 1, or an ``out`` whose trained
        results came from another training budget (see ``OUT/scale.json``).
    """
    from nlc.benchmark.run import open_protocol, run_benchmark

    data, out = Path(data), Path(out)
    scale = training_scale(scale, epochs=epochs, patience=patience, max_train_pairs=max_train_pairs)
    protocol = open_protocol(data)
    _check_scale(out, scale)
    log(scale.describe())
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
                sub = _submission(entry, data=data, out=out, scale=scale, seed=seed, device=device, progress=progress)
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
    tests = column_tests(rows, n_resamples=n_resamples, seed=seed)  # once: both tables and the plot share them
    budget = "\n\n" + scale.describe()  # under both tables: which budget trained the models
    table = table2_markdown(rows, tests=tests) + budget
    (out / "table2.md").write_text(table + "\n")
    (out / "table2_ci.md").write_text(table2_markdown(rows, intervals=True, tests=tests) + budget + "\n")
    table2_png(rows, out / "table2.png", tests=tests)
    from nlc.benchmark.ladder import write_ladder

    floor = {"random": res for entry, res in rows if entry.key == "random_baseline" and res is not None}
    write_ladder(data, out, seed=seed, n_resamples=n_resamples, progress=progress, done=floor, log=log)
    log(f"Table 2 written to {out / 'table2.md'} and {out / 'table2.png'}"
        + (f"; {len(failures)} entr{'y' if len(failures) == 1 else 'ies'} failed (see failures.json)" if failures else ""))
    return table
