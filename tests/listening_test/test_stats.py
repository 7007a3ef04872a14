"""Every number of the listening-test report against an independent computation.

The reference values are computed here with the csv module, numpy and scipy only (no
pandas grouping, no pingouin), from the hand-made tests/data/listening_responses.csv.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from nlc.cli import main
from nlc.listening_test.report import analyse
from nlc.listening_test.responses import load_responses

DATA = Path(__file__).resolve().parents[1] / "data" / "listening_responses.csv"
QUESTIONS = ["matched", "innovative", "usable", "rhythm", "harmony", "timbre"]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with DATA.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def result() -> dict:
    return analyse(load_responses(DATA))


def _ci(values: list[int]) -> tuple[float, float, float]:
    """Mean and 95% t-interval, cut at the 1-5 rating scale (a mean of ratings cannot leave it)."""
    x = np.asarray(values, dtype=float)
    low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    return x.mean(), max(low, 1.0), min(high, 5.0)


def test_mos_by_question_matches_hand_computation(rows, result):
    cells = defaultdict(list)
    for r in rows:
        cells[(r["system"], r["question"])].append(int(r["rating"]))
    got = {(m["system"], m["question"]): m for m in result["mos_by_question"]}
    assert set(got) == set(cells) and len(got) == 4 * 6
    for key, values in cells.items():
        mean, low, high = _ci(values)
        assert got[key]["n"] == len(values)
        assert got[key]["mos"] == pytest.approx(mean)
        assert got[key]["ci_low"] == pytest.approx(low)
        assert got[key]["ci_high"] == pytest.approx(high)


def test_mos_by_source_type_is_matched_only(rows, result):
    cells = defaultdict(list)
    for r in rows:
        if r["question"] == "matched":
            cells[(r["system"], r["source_type"])].append(int(r["rating"]))
    got = {(m["system"], m["source_type"]): m for m in result["mos_by_source_type"]}
    assert set(got) == set(cells) and len(got) == 4 * 3
    for key, values in cells.items():
        mean, low, high = _ci(values)
        assert (got[key]["n"], got[key]["mos"]) == (len(values), pytest.approx(mean))
        assert (got[key]["ci_low"], got[key]["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_cronbach_alpha_from_its_formula(rows, result):
    clips = defaultdict(dict)
    for r in rows:
        clips[(r["participant"], r["group"], r["system"])][r["question"]] = int(r["rating"])
    x = np.array([[c[q] for q in QUESTIONS] for c in clips.values()], dtype=float)
    k = x.shape[1]
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    got = result["cronbach_alpha"]
    assert got["alpha"] == pytest.approx(alpha)
    assert (got["n_clips"], got["k_items"]) == (len(clips), 6)
    # Feldt's interval
    n = len(clips)
    low = 1 - (1 - alpha) * sps.f.isf(0.025, n - 1, (n - 1) * (k - 1))
    assert got["ci_low"] == pytest.approx(low, abs=1e-3)


def _holm(p: list[float]) -> list[float]:
    m = len(p)
    order = np.argsort(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def test_wilcoxon_holm_and_rank_biserial_match_scipy(rows, result):
    means = defaultdict(list)  # (question, participant, system) -> ratings
    for r in rows:
        means[(r["question"], r["participant"], r["system"])].append(int(r["rating"]))
    participants = sorted({r["participant"] for r in rows})
    systems = sorted({r["system"] for r in rows})
    got = {(w["question"], w["system_a"], w["system_b"]): w for w in result["wilcoxon"]}
    assert len(got) == 6 * 6  # 6 questions x C(4, 2) pairs
    for q in QUESTIONS:
        expected = []
        for a, b in combinations(systems, 2):
            x = np.array([np.mean(means[(q, p, a)]) for p in participants])
            y = np.array([np.mean(means[(q, p, b)]) for p in participants])
            diff = np.abs(x - y)
            exact = np.all(diff != 0) and len(np.unique(diff)) == len(diff) and len(diff) <= 50
            method = "exact" if exact else "asymptotic"
            ref = sps.wilcoxon(x, y, zero_method="wilcox", correction=True, method=method)
            d = x - y
            d = d[d != 0]
            ranks = sps.rankdata(np.abs(d))
            rbc = (ranks[d > 0].sum() - ranks[d < 0].sum()) / ranks.sum()
            w = got[(q, a, b)]
            assert w["n"] == len(participants)
            assert w["W"] == pytest.approx(ref.statistic)
            assert w["p"] == pytest.approx(ref.pvalue)
            assert w["rbc"] == pytest.approx(rbc)
            assert w["method"] == method
            assert (w["mean_a"], w["mean_b"]) == (pytest.approx(x.mean()), pytest.approx(y.mean()))
            expected.append(ref.pvalue)
        holm = _holm(expected)
        for (a, b), h in zip(combinations(systems, 2), holm, strict=True):
            assert got[(q, a, b)]["p_holm"] == pytest.approx(h)


def test_participant_with_two_groups_is_paired_on_means(rows, result):
    # p13 rated g01 and g03: one paired sample = the mean of the two clips per system.
    p13 = [r for r in rows if r["participant"] == "p13"]
    assert {r["group"] for r in p13} == {"g01", "g03"}
    assert result["n_participants"] == 13


def test_cli_writes_report_json_and_figure(tmp_path, capsys):
    code = main(["stats", str(DATA), "--json", str(tmp_path / "r.json"), "--figure", str(tmp_path / "fig4"),
                 "--systems", "original,cnn,snn,amu"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Cronbach's alpha" in out and "| matched | original | cnn |" in out
    assert "correction=True" in out and "R's wilcox.test rule" in out
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["systems"] == ["original", "cnn", "snn", "amu"]
    assert saved["wilcoxon_options"]["correction"] is True
    assert (tmp_path / "fig4.png").stat().st_size > 10_000
    assert (tmp_path / "fig4.svg").read_text().lstrip().startswith("<?xml")


def test_exact_p_without_ties_or_zeros():
    import pandas as pd

    from nlc.listening_test.stats import pairwise_wilcoxon

    # participants' mean ratings with distinct, non-zero differences: the exact branch
    a = [5.0, 4.5, 4.0, 5.0, 1.0, 4.5]
    b = [4.5, 3.5, 2.5, 3.0, 3.5, 1.5]
    rows = [{"participant": f"p{i}", "system": s, "question": "matched", "rating": r}
            for i, (ra, rb) in enumerate(zip(a, b)) for s, r in (("a", ra), ("b", rb))]
    got = pairwise_wilcoxon(pd.DataFrame(rows)).iloc[0]
    ref = sps.wilcoxon(a, b, method="exact")
    assert got["method"] == "exact" and got["n"] == 6
    assert (got["W"], got["p"], got["p_holm"]) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue),
                                                   pytest.approx(ref.pvalue))


def _constant_copy(tmp_path, rating_of) -> Path:
    with DATA.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = tmp_path / "constant.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "rating": str(rating_of(r))})
    return path


@pytest.mark.parametrize(
    ("rating_of", "note"),
    [
        (lambda r: 3, "all ratings identical"),
        (lambda r: 1 + QUESTIONS.index(r["question"]) % 5, "every question got the same rating on every clip"),
    ],
    ids=["all-identical", "constant-per-question"],
)
def test_undefined_alpha_and_tests_are_notes_not_warnings(tmp_path, capfd, rating_of, note):
    import warnings

    path = _constant_copy(tmp_path, rating_of)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # pingouin's "invalid value encountered in scalar divide" used to leak
        result = analyse(load_responses(path))
    assert [str(w.message) for w in caught] == []
    alpha = result["cronbach_alpha"]
    assert alpha["alpha"] is None and alpha["ci_low"] is None and alpha["note"] == note
    assert result["mos_by_question"] and all(m["mos"] is not None for m in result["mos_by_question"])
    if note == "all ratings identical":
        assert {w["note"] for w in result["wilcoxon"]} == {"all paired differences zero (identical ratings)"}
        assert all(w["p"] is None for w in result["wilcoxon"])
    capfd.readouterr()
    assert main(["stats", str(path)]) == 0
    out, err = capfd.readouterr()
    assert err == "" and f"Cronbach's alpha undefined: {note} (56 rated clips x 6 items)." in out


def test_alpha_of_clips_whose_sums_do_not_vary_is_undefined_without_warning():
    import warnings

    import pandas as pd

    from nlc.listening_test.stats import cronbach

    # two clips, items vary but each clip sums to 21: pingouin divided by zero (alpha = -inf)
    ratings = {"p1": [1, 5, 2, 4, 3, 6], "p2": [5, 1, 4, 2, 3, 6]}
    rows = [{"participant": p, "group": "g01", "system": "a", "question": q, "rating": min(r, 5)}
            for p, values in ratings.items() for q, r in zip(QUESTIONS, values)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = cronbach(pd.DataFrame(rows))
    assert caught == [] and np.isnan(got["alpha"]) and got["note"] == "the clips' summed ratings do not vary"


def test_mos_intervals_stay_on_the_rating_scale():
    """Few, spread-out ratings: the t-interval 2.00 [-0.25, 4.25] is cut at the scale's floor."""
    from nlc.listening_test.stats import mean_ci

    mean, _, low, high = mean_ci(np.array([1.0, 3.0]), confidence=0.6)
    assert (low, high) == pytest.approx((mean - 1.3763819, mean + 1.3763819), abs=1e-6)  # unclipped: t(0.8, 1) = 1.376
    mean, _, low, high = mean_ci(np.array([1.0, 3.0]), scale=(1, 5))
    assert mean == 2.0 and (low, high) == (1, 5)


def test_figure4_panels_are_drawn_on_the_rating_scale():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nlc.listening_test.figure import _draw

    records = [{"system": "a", "question": "matched", "mos": 2.0, "ci_low": 1.0, "ci_high": 3.5},
               {"system": "b", "question": "matched", "mos": 4.0, "ci_low": 3.0, "ci_high": 5.0}]
    fig, ax = plt.subplots()
    _draw(ax, records, ["a", "b"], "question", ("matched",), 3.0)
    assert ax.get_ylim() == (1.0, 5.0)
    bars = [p for p in ax.patches]
    assert [b.get_y() for b in bars] == [1.0, 1.0] and [b.get_y() + b.get_height() for b in bars] == [2.0, 4.0]
    plt.close(fig)
