"""The statistics of paper section 5.2: MOS with confidence intervals, Cronbach's alpha,
and pairwise Wilcoxon signed-rank tests with Holm correction.

Every function is pure: it takes the validated long table (see
:func:`nlc.listening_test.responses.validate`) and returns a DataFrame or a dict.

Choices, stated once (they are also written into every report):

* **MOS and CI**: mean of all ratings (participant x clip) of a cell; 95% CI from
  Student's t, ``mean +- t(0.975, n-1) * sd / sqrt(n)`` with the sample sd (ddof=1).
* **Cronbach's alpha**: ``pingouin.cronbach_alpha`` on a wide table with one row per
  rated clip (participant x group x system) and one column per question (6 items);
  listwise deletion of incomplete rows; 95% CI by Feldt's method (pingouin).
* **Wilcoxon**: for each question and each pair of systems, the paired samples are each
  participant's mean rating of the two systems (averaged over the groups they rated);
  participants who lack either system are left out of that pair. ``pingouin.wilcoxon``
  (0.7: columns ``W_val, p_val, RBC, CLES``) is called with ``alternative="two-sided"``,
  ``zero_method="wilcox"`` (zero differences dropped) and ``correction=True``:
  pingouin's default continuity correction, unlike scipy's default ``False``. The p-value
  method follows R's ``wilcox.test``: ``exact`` for at most 50 differences with no zero
  and no tie, otherwise ``asymptotic`` (normal approximation with tie correction, where
  the continuity correction applies). scipy's ``method="auto"`` would instead run an
  exhaustive permutation for n <= 13 with ties, seconds per test. Holm correction is
  applied per question over all its system pairs (``pingouin.multicomp``). The effect size is the matched-pairs
  rank-biserial correlation (Kerby 2014): positive when ``system_a`` is rated higher.
* **Undefined values** are NaN with a ``note`` saying why, never a warning: alpha when the
  clips' summed ratings do not vary (e.g. all ratings identical: 0/0), a test when every
  paired difference is zero. Any warning pingouin or scipy would still raise is caught and
  becomes the note of its value.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from nlc.listening_test.schema import QUESTIONS, RATING_MAX, RATING_MIN

CONFIDENCE: float = 0.95
WILCOXON_OPTIONS: dict[str, object] = {
    "alternative": "two-sided",
    "zero_method": "wilcox",
    "correction": True,
}
"""Keyword arguments passed to ``pingouin.wilcoxon`` (and on to ``scipy.stats.wilcoxon``),
plus ``method`` from :func:`wilcoxon_method`."""
EXACT_MAX_N: int = 50
"""Largest number of non-zero differences for which the exact p-value is used (no ties)."""


def wilcoxon_method(x: np.ndarray, y: np.ndarray) -> str:
    """``"exact"`` when no difference is zero or tied and there are at most
    :data:`EXACT_MAX_N` of them (R's ``wilcox.test`` rule), else ``"asymptotic"``."""
    d = np.abs(np.asarray(x, dtype=float) - np.asarray(y, dtype=float))
    exact = d.size <= EXACT_MAX_N and np.all(d != 0) and np.unique(d).size == d.size
    return "exact" if exact else "asymptotic"


def mean_ci(values: np.ndarray, *, confidence: float = CONFIDENCE,
            scale: tuple[float, float] | None = None) -> tuple[float, float, float, float]:
    """Mean, sample sd and the Student-t confidence interval of ``values``.

    ``scale`` (e.g. the ratings' 1-5) clips the interval: the mean of ratings cannot leave
    their scale, so a bound beyond it (few, spread-out ratings: 2.00 [-0.25, 4.25]) says
    nothing and is cut at the scale's end. Returns ``(mean, sd, low, high)``; sd and the
    bounds are NaN for fewer than 2 values.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean()) if n else float("nan")
    if n < 2:
        return mean, float("nan"), float("nan"), float("nan")
    sd = float(values.std(ddof=1))
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * sd / np.sqrt(n)
    low, high = mean - half, mean + half
    if scale is not None:
        low, high = max(low, scale[0]), min(high, scale[1])
    return mean, sd, low, high


def _mos(data: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    rows = []
    for key, cell in data.groupby(by, sort=True):
        mean, sd, low, high = mean_ci(cell["rating"].to_numpy(), confidence=confidence,
                                      scale=(RATING_MIN, RATING_MAX))
        rows.append({**dict(zip(by, key, strict=True)), "n": len(cell), "mos": mean, "sd": sd,
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=[*by, "n", "mos", "sd", "ci_low", "ci_high"])


def mos_by_question(data: pd.DataFrame, *, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """MOS and CI per system x question (Figure 4A and 4B)."""
    return _mos(data, ["system", "question"], confidence)


def mos_by_source_type(data: pd.DataFrame, *, question: str = "matched",
                       confidence: float = CONFIDENCE) -> pd.DataFrame:
    """MOS and CI of one question (default *matched*) per system x source type (Figure 4C)."""
    return _mos(data[data["question"] == question], ["system", "source_type"], confidence)


def clip_table(data: pd.DataFrame) -> pd.DataFrame:
    """The wide layout used for alpha: one row per rated clip, one column per question."""
    wide = data.pivot_table(index=["participant", "group", "system"], columns="question",
                            values="rating", aggfunc="first")
    return wide.reindex(columns=[q for q in QUESTIONS if q in wide.columns]).astype(float)


def _quietly(call: Callable[[], Any]) -> tuple[Any, str]:
    """``call()`` with its warnings caught: ``(result, "")``, or ``(result, first RuntimeWarning)``.

    A RuntimeWarning (a division by zero, an invalid value) puts the result in doubt and is
    returned as text; other warnings (a library's deprecation notices) say nothing about
    the numbers and are dropped."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    return result, (f"{runtime[0].category.__name__}: {runtime[0].message}" if runtime else "")


def alpha_undefined(wide: pd.DataFrame) -> str:
    """Why Cronbach's alpha of a clip x question table is undefined ("" when it is defined)."""
    n, k = wide.shape
    if n < 2:
        return f"{n} complete rated clip(s), alpha needs 2"
    if k < 2:
        return f"{k} question(s), alpha needs 2"
    values = wide.to_numpy(dtype=float)
    if not float(values.sum(axis=1).var(ddof=1)) > 0:
        if np.all(values == values.flat[0]):
            return "all ratings identical"
        if np.all(values == values[0]):
            return "every question got the same rating on every clip"
        return "the clips' summed ratings do not vary"
    return ""


def cronbach(data: pd.DataFrame, *, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Cronbach's alpha of the 6-item questionnaire over rated clips (see module notes).

    ``note`` says why alpha is NaN (:func:`alpha_undefined`), else is empty."""
    import pingouin as pg

    wide = clip_table(data).dropna(axis=0, how="any")
    n, k = wide.shape
    out: dict[str, Any] = {"alpha": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"),
                           "n_clips": int(n), "k_items": int(k), "note": alpha_undefined(wide)}
    if out["note"]:
        return out
    (alpha, ci), caught = _quietly(lambda: pg.cronbach_alpha(data=wide, nan_policy="listwise", ci=confidence))
    out.update(alpha=float(alpha), ci_low=float(ci[0]), ci_high=float(ci[1]))
    if caught or not np.isfinite(out["alpha"]):
        out.update(alpha=float("nan"), ci_low=float("nan"), ci_high=float("nan"),
                   note=f"undefined ({caught or 'not finite'})")
    return out


def participant_means(data: pd.DataFrame, question: str) -> pd.DataFrame:
    """Each participant's mean rating per system for one question (rows participants)."""
    sub = data[data["question"] == question]
    return sub.pivot_table(index="participant", columns="system", values="rating", aggfunc="mean")


def _column(result: pd.DataFrame, *names: str) -> float:
    """First present column of a one-row pingouin result (0.7 writes ``p_val``, 0.6 ``p-val``)."""
    name = next(n for n in names if n in result.columns)
    return float(result[name].iloc[0])


def pairwise_wilcoxon(data: pd.DataFrame, *, systems: list[str] | None = None) -> pd.DataFrame:
    """Wilcoxon signed-rank test for every pair of systems and every question.

    Returns one row per question x pair with ``n`` (participants paired), ``W``,
    ``p`` (raw), ``p_holm`` (Holm within the question), ``rbc``, the two MOS of the
    paired means and ``note``. p is NaN when no non-zero difference remains (``note``
    says so, as it reports any warning of the test, which is never let through).
    """
    import pingouin as pg

    systems = systems or sorted(data["system"].unique())
    rows = []
    for question in [q for q in QUESTIONS if q in set(data["question"])]:
        means = participant_means(data, question)
        block = []
        for a, b in combinations(systems, 2):
            if a not in means or b not in means:
                continue
            pair = means[[a, b]].dropna()
            x, y = pair[a].to_numpy(), pair[b].to_numpy()
            row = {"question": question, "system_a": a, "system_b": b, "n": len(pair),
                   "mean_a": float(x.mean()) if len(x) else float("nan"),
                   "mean_b": float(y.mean()) if len(y) else float("nan"),
                   "W": float("nan"), "p": float("nan"), "rbc": float("nan"), "method": "", "note": ""}
            if not len(pair):
                row["note"] = "no participant rated both"
            elif np.count_nonzero(x - y) == 0:
                row["note"] = "all paired differences zero (identical ratings)"
            else:
                method = wilcoxon_method(x, y)
                res, caught = _quietly(lambda: pg.wilcoxon(x, y, method=method, **WILCOXON_OPTIONS))  # noqa: B023
                row.update(W=_column(res, "W_val", "W-val"), p=_column(res, "p_val", "p-val"),
                           rbc=_column(res, "RBC"), method=method, note=caught)
            block.append(row)
        if block:
            (_, holm), _ = _quietly(lambda: pg.multicomp([r["p"] for r in block], method="holm"))  # noqa: B023
            for r, adjusted in zip(block, holm, strict=True):
                r["p_holm"] = float(adjusted)
        rows.extend(block)
    return pd.DataFrame(rows, columns=["question", "system_a", "system_b", "n", "mean_a", "mean_b",
                                       "W", "p", "p_holm", "rbc", "method", "note"])
