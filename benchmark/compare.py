"""``nlc-bench compare``: is model B really better than model A on the same items?

Two result files are comparable only if they were computed on the same frozen protocol
(same version, content hash and dataset fingerprint) and hold the same items. The tests
are *paired* (both models saw exactly the same pairs and queries), which is far more
sensitive than comparing two confidence intervals:

* **Wilcoxon signed-rank** on the per-query target ranks (:func:`scipy.stats.wilcoxon`,
  two-sided; queries where both ranks are equal are dropped, the ``wilcox`` convention);
* **McNemar** on per-pair classification correctness at each model's own threshold: with
  ``b`` pairs only A gets right and ``c`` only B gets right, the exact binomial test of
  ``b`` out of ``b + c`` at 1/2 when ``b + c < 25``, otherwise the chi-square statistic
  ``(|b - c| - 1)^2 / (b + c)`` with continuity correction;
* **paired bootstrap** of every figure's difference B - A: the same resampled items (within
  methods) or queries for both models; the p-value is twice the smaller share of resamples
  on either side of 0 (at least ``1 / n_resamples``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy import stats

from nlc.benchmark import figures
from nlc.benchmark.bootstrap import N_RESAMPLES, bootstrap_samples
from nlc.benchmark.results import BenchmarkResults, Interval
from nlc.errors import InputError

MCNEMAR_EXACT_BELOW: int = 25
"""Discordant-pair count under which McNemar uses the exact binomial test."""


class PairedTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    test: str
    statistic: float | None
    p_value: float
    n: int
    detail: dict[str, float | int | str] = {}


class Difference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    figure: str
    a: float
    b: float
    difference: float
    interval: Interval
    p_value: float


class Comparison(BaseModel):
    """Everything ``compare`` prints, as written by ``--json``."""

    model_config = ConfigDict(extra="forbid")
    a: str
    b: str
    protocol_version: str
    content_hash: str
    n_resamples: int
    confidence: float
    seed: int
    alternative: Literal["two-sided"] = "two-sided"
    wilcoxon_ranks: PairedTest
    mcnemar: PairedTest
    differences: list[Difference]


def _require_same_items(a: BenchmarkResults, b: BenchmarkResults) -> None:
    for field in ("protocol_version", "content_hash", "dataset_fingerprint"):
        if getattr(a.dataset, field) != getattr(b.dataset, field):
            raise InputError(f"{a.model.name} and {b.model.name} were scored on different protocols ({field} differs)")
    if [c.item_id for c in a.classification] != [c.item_id for c in b.classification]:
        raise InputError(f"{a.model.name} and {b.model.name} hold different classification items")
    if [q.query_id for q in a.ranking] != [q.query_id for q in b.ranking]:
        raise InputError(f"{a.model.name} and {b.model.name} hold different ranking queries")
    # same protocol hash means same labels and targets; a disagreement means an edited file
    if [c.label for c in a.classification] != [c.label for c in b.classification]:
        raise InputError(f"{a.model.name} and {b.model.name} disagree on classification labels (an edited file?)")
    if [(q.target_id, q.candidate_ids) for q in a.ranking] != [(q.target_id, q.candidate_ids) for q in b.ranking]:
        raise InputError(f"{a.model.name} and {b.model.name} disagree on ranking targets or candidates (an edited file?)")


def wilcoxon_ranks(ranks_a: np.ndarray, ranks_b: np.ndarray) -> PairedTest:
    """Two-sided Wilcoxon signed-rank test on paired target ranks (p = 1 if all equal)."""
    diff = np.asarray(ranks_b) - np.asarray(ranks_a)
    nonzero = int(np.count_nonzero(diff))
    if nonzero == 0:
        return PairedTest(test="wilcoxon", statistic=None, p_value=1.0, n=0, detail={"note": "all ranks equal"})
    res = stats.wilcoxon(ranks_a, ranks_b, zero_method="wilcox", alternative="two-sided")
    return PairedTest(
        test="wilcoxon", statistic=float(res.statistic), p_value=float(res.pvalue), n=nonzero,
        detail={"median_rank_difference_b_minus_a": float(np.median(diff))},
    )


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> PairedTest:
    """McNemar's test on paired correctness (exact binomial for few discordant pairs)."""
    a, b_ = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    only_a, only_b = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    n = only_a + only_b
    detail: dict[str, float | int | str] = {"only_a_correct": only_a, "only_b_correct": only_b}
    if n == 0:
        return PairedTest(test="mcnemar-exact", statistic=None, p_value=1.0, n=0, detail=detail)
    if n < MCNEMAR_EXACT_BELOW:
        p = stats.binomtest(only_a, n, 0.5).pvalue
        return PairedTest(test="mcnemar-exact", statistic=float(only_a), p_value=float(p), n=n, detail=detail)
    chi2 = (abs(only_a - only_b) - 1) ** 2 / n
    return PairedTest(test="mcnemar-chi2", statistic=float(chi2), p_value=float(stats.chi2.sf(chi2, 1)), n=n, detail=detail)


def _arrays(r: BenchmarkResults) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    labels = np.array([c.label for c in r.classification])
    scores = np.array([c.score for c in r.classification])
    methods = np.array([c.method for c in r.classification])
    ranks = np.array([q.target_rank for q in r.ranking])
    return labels, scores, methods, ranks


def compare_results(
    a: BenchmarkResults, b: BenchmarkResults, *, n_resamples: int = N_RESAMPLES, seed: int = 0, confidence: float = 0.95
) -> Comparison:
    """Paired comparison of two result files on the same protocol (see the module docstring)."""
    _require_same_items(a, b)
    la, sa, methods, ra = _arrays(a)
    _, sb, _, rb = _arrays(b)
    correct_a = (sa >= a.model.threshold) == la.astype(bool)
    correct_b = (sb >= b.model.threshold) == la.astype(bool)
    cls_a = figures.classification_statistic(la, sa, methods, threshold=a.model.threshold)
    cls_b = figures.classification_statistic(la, sb, methods, threshold=b.model.threshold)
    rnk_a, rnk_b = figures.ranking_statistic(ra), figures.ranking_statistic(rb)

    def diff(stat_a, stat_b):
        def run(idx):
            x, y = stat_a(idx), stat_b(idx)
            return {k: y[k] - x[k] for k in x if k in y}
        return run

    samples = {
        **bootstrap_samples(diff(cls_a, cls_b), methods.astype(str), n_resamples=n_resamples, seed=seed),
        **bootstrap_samples(diff(rnk_a, rnk_b), np.zeros(len(ra)), n_resamples=n_resamples, seed=seed),
    }
    point_a = {**a.metrics.model_dump(exclude={"method_accuracy"}),
               **{f"method:{k}": v for k, v in a.metrics.method_accuracy.items()}}
    point_b = {**b.metrics.model_dump(exclude={"method_accuracy"}),
               **{f"method:{k}": v for k, v in b.metrics.method_accuracy.items()}}
    alpha = (1.0 - confidence) / 2.0
    differences = []
    for name, values in samples.items():
        low, high = np.quantile(values, [alpha, 1.0 - alpha])
        side = min(float(np.mean(values <= 0.0)), float(np.mean(values >= 0.0)))
        p = float(min(1.0, max(2.0 * side, 1.0 / n_resamples)))
        differences.append(Difference(
            figure=name, a=point_a[name], b=point_b[name], difference=point_b[name] - point_a[name],
            interval=Interval(low=float(low), high=float(high)), p_value=p,
        ))
    return Comparison(
        a=a.model.name, b=b.model.name, protocol_version=a.dataset.protocol_version,
        content_hash=a.dataset.content_hash, n_resamples=n_resamples, confidence=confidence, seed=seed,
        wilcoxon_ranks=wilcoxon_ranks(ra, rb), mcnemar=mcnemar(correct_a, correct_b), differences=differences,
    )


def comparison_report(c: Comparison) -> str:
    """Markdown: the paired tests, then every figure's difference with its interval and p-value."""
    from nlc.benchmark.report import markdown_table

    w, m = c.wilcoxon_ranks, c.mcnemar
    lines = [
        f"## B = {c.b} vs A = {c.a} (protocol {c.protocol_version}, {c.content_hash[:12]})",
        "",
        f"- Wilcoxon signed-rank on target ranks: p = {w.p_value:.4g} ({w.n} queries with different ranks"
        + (f", median B - A = {w.detail['median_rank_difference_b_minus_a']:+g})" if w.n else ")"),
        f"- McNemar ({'exact binomial' if m.test.endswith('exact') else 'chi-square, continuity-corrected'}) on "
        f"classification correctness: p = {m.p_value:.4g} (only A right: {m.detail['only_a_correct']}, "
        f"only B right: {m.detail['only_b_correct']})",
        "",
        f"Paired bootstrap ({c.n_resamples} resamples, seed {c.seed}); difference = B - A:",
        "",
    ]
    rows = [[d.figure, f"{d.a:.3f}", f"{d.b:.3f}", f"{d.difference:+.3f}",
             f"[{d.interval.low:+.3f}, {d.interval.high:+.3f}]", f"{d.p_value:.4g}"] for d in c.differences]
    lines.append(markdown_table(["Figure", f"A ({c.a})", f"B ({c.b})", "B - A", f"{int(c.confidence * 100)}% CI", "p"], rows))
    return "\n".join(lines)
