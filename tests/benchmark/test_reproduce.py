"""``reproduce table2``: rendering, resume and failure recording on the tiny dataset.

Training itself is the baselines' subject; here the reference entries (AutoMashUpper,
random) are scored for real, and a training failure is provoked to check that it is
recorded while the other entries go on. The rendering tests build results with chosen
per-item outcomes: bold must follow the paired tests, not the point figures, and a top-k
column must read n/a when the protocol makes it trivial.
"""

import json

import numpy as np
import pytest

from nlc.benchmark import reproduce
from nlc.benchmark import results as R
from nlc.benchmark.results import load_results
from nlc.cli import main
from nlc.errors import InputError


@pytest.mark.slow
def test_references_resume_and_failures(tiny_dataset, tmp_path, monkeypatch, capsys):
    import nlc.baselines.train as train

    def broken(**kwargs):
        raise InputError(f"no train pairs for {kwargs['model']}")

    monkeypatch.setattr(train, "train_baseline", broken)
    out = tmp_path / "t2"
    args = ["reproduce", "table2", "--data", str(tiny_dataset), "--out", str(out), "--negatives", "shift",
            "--no-progress", "--n-resamples", "100"]
    assert main(args) == 0  # two entries failed and are recorded; the job goes on
    captured = capsys.readouterr()
    assert "| Model | Negative sampling | Accuracy | F1 score | Avg. rank | Top 10 | Top 30 | Top 50 |" in captured.out
    assert "| CNN | Shift | - |" in captured.out and "| AutoMashUpper | - |" in captured.out
    failures = json.loads((out / "failures.json").read_text())
    assert failures == {"cnn-shift": "no train pairs for cnn", "snn-shift": "no train pairs for snn"}
    for name in ("table2.md", "table2_ci.md", "table2.png"):
        assert (out / name).stat().st_size > 0
    assert "n/a" in (out / "table2.md").read_text()  # the tiny release has 4 candidates per query
    assert "Bold: the best value of a column, only where a paired" in (out / "table2_ci.md").read_text()
    first = (out / "results" / "random_baseline.json").read_text()
    assert load_results(out / "results" / "automashupper.json").model.name == "automashupper"

    assert main(args) == 0
    assert "random_baseline: already finished, kept" in capsys.readouterr().err
    assert (out / "results" / "random_baseline.json").read_text() == first


def _results(correct: np.ndarray, ranks: np.ndarray, *, n_cand: int, name: str = "m") -> R.BenchmarkResults:
    """Results whose pair ``i`` is classified right iff ``correct[i]`` and whose query ``q``
    ranks its target at ``ranks[q]`` among ``n_cand`` candidates (half positive pairs)."""
    n = len(correct)
    labels = np.arange(n) % 2
    methods = ["positive" if lab else ("random" if i % 4 == 0 else "shift") for i, lab in enumerate(labels)]
    rng = np.random.default_rng(n)
    margin = rng.uniform(0.05, 0.45, n)  # distinct scores on the right side of 0.5 when correct
    scores = 0.5 + np.where(labels == 1, 1, -1) * np.where(correct, margin, -margin)
    items = [R.ClassificationItem(item_id=f"c{i}", query_id=f"s/{i}", candidate_id=f"t/{i}", method=m,
                                  label=int(lab), score=float(sc))
             for i, (m, lab, sc) in enumerate(zip(methods, labels, scores))]
    candidates = [f"t/{j}" for j in range(n_cand)]  # the target is t/0 in every file, as in one protocol
    ladder = np.linspace(1.0, 0.0, n_cand)

    def placed(rank: int) -> list[float]:  # the target gets the rank-th highest score
        return [float(ladder[rank - 1]), *np.delete(ladder, rank - 1).tolist()]

    queries = [R.RankingQuery(query_id=f"s/{q}", target_id="t/0", candidate_ids=candidates,
                              scores=placed(int(r)), target_rank=int(r)) for q, r in enumerate(ranks)]
    ranks = np.asarray(ranks, dtype=np.int64)
    return R.BenchmarkResults(
        model=R.ModelInfo(name=name, file=f"{name}.py", sha256="0" * 64, threshold=0.5, ranking_by="score"),
        dataset=R.DatasetInfo(protocol_version="1", content_hash="h", dataset_fingerprint="f", n_classification=n,
                              n_queries=len(ranks), n_candidates=n_cand),
        run=R.RunInfo(seed=0, device="cpu", batch_size=16, package_versions={}),
        metrics=R.compute_metrics(labels, scores, methods, ranks, threshold=0.5),
        intervals=R.compute_intervals(labels, scores, methods, ranks, threshold=0.5, n_resamples=200,
                                      confidence=0.95, seed=0),
        classification=items, ranking=queries, timing=R.Timing(created="2026-01-01T00:00:00Z", wall_time_s=1.0),
    )


def _rows(*results):
    names = [("cnn-random", "CNN", "Random"), ("snn-random", "Siamese NN", "Random"), ("random_baseline", "Random", "-")]
    return [(reproduce.Entry(*names[i]), r) for i, r in enumerate(results)]


@pytest.fixture(scope="module")
def coin():
    """A coin-flip model: half its pairs right, target ranks spread over 60 candidates."""
    rng = np.random.default_rng(1)
    return rng.random(160) < 0.5, rng.integers(1, 61, size=80)


def _bold_columns(table: str) -> set[str]:
    lines = table.split("\n\n")[0].splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return {header[k] for line in lines[2:] for k, c in enumerate(line.strip("|").split("|")) if c.strip().startswith("**")}


def test_far_apart_best_is_bold(coin):
    correct, ranks = coin
    good = _results(np.ones(160, bool), np.minimum(ranks, 5), n_cand=60, name="good")  # all right, top 5
    base = _results(correct, ranks, n_cand=60, name="base")
    rows = _rows(good, base)
    tests = reproduce.column_tests(rows, n_resamples=200)
    for field in ("accuracy", "f1", "roc_auc", "average_rank", "top10", "top30", "top50"):
        assert tests[field].best == 0 and tests[field].runner_up == 1 and tests[field].separated, field
    assert tests["accuracy"].p_value < 1e-6 and tests["average_rank"].p_value < 1e-6
    table = reproduce.table2_markdown(rows, tests=tests)
    assert _bold_columns(table) == {"Accuracy", "F1 score", "Avg. rank", "Top 10", "Top 30", "Top 50"}
    lines = table.splitlines()
    assert lines[2].startswith("| CNN | Random | **1.00** | **1.00** | **4.8** | **1.00** |")
    assert "**" not in lines[3]  # only the separated best
    assert "McNemar's test on per-pair correctness" in table and "Wilcoxon signed-rank" in table
    assert "CNN + random vs Siamese NN + random, p = " in table


def test_close_best_is_not_bold(coin):
    correct, ranks = coin
    better = correct.copy()
    better[np.flatnonzero(~correct)[:2]] = True  # two more pairs right
    ranks_better = ranks.copy()
    ranks_better[0] = max(1, ranks[0] - 3)  # one query's target three places higher
    rows = _rows(_results(correct, ranks, n_cand=60), _results(better, ranks_better, n_cand=60))
    tests = reproduce.column_tests(rows, n_resamples=200)
    assert tests["accuracy"].best == 1 and tests["accuracy"].runner_up == 0  # the best exists ...
    assert tests["average_rank"].best == 1
    assert not any(t.separated for t in tests.values())  # ... but no paired test separates it
    assert tests["accuracy"].p_value == pytest.approx(0.5)  # exact McNemar: 2 discordant pairs, both won by B
    for intervals in (False, True):
        table = reproduce.table2_markdown(rows, tests=tests, intervals=intervals)
        assert "**" not in table.split("\n\n")[0]
        assert "A column without bold has no separated best." in table


def test_top_k_reads_na_when_no_query_has_more_than_k_candidates(coin):
    correct, ranks = coin
    res = _results(correct, np.minimum(ranks, 30), n_cand=30)  # k = 30 = candidates: trivially 1.00
    assert res.metrics.top30 == 1.0 and res.metrics.top50 == 1.0
    rows = _rows(res, _results(~correct, np.minimum(ranks, 30)[::-1], n_cand=30), None)
    tests = reproduce.column_tests(rows, n_resamples=100)
    assert tests["top30"].best is None and not tests["top30"].separated and tests["top30"].note.startswith("trivial")
    assert tests["top10"].runner_up is not None  # 30 candidates > 10: a real figure
    table = reproduce.table2_markdown(rows, tests=tests)
    body = table.split("\n\n")[0].splitlines()
    assert body[0] == "| Model | Negative sampling | Accuracy | F1 score | Avg. rank | Top 10 | Top 30 | Top 50 |"
    for line in body[2:4]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[5] != "n/a" and cells[6:] == ["n/a", "n/a"]
    assert body[-1] == "| Random | - | - | - | - | - | - | - |"  # a failed entry stays "-"
    assert "n/a: Top 30, Top 50, because no query has more than 30 candidates" in table
    with pytest.raises(InputError, match="unknown negative"):
        reproduce.entries(["swap"])



# ---- the training budget (--scale) ----------------------------------------------------------


def _reproduce_parser():
    from nlc.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices["reproduce"]


def _scale_of(*flags):
    """The budget ``reproduce table2 --data d FLAGS`` trains with (as its handler resolves it)."""
    args = _reproduce_parser().parse_args(["table2", "--data", "d", *flags])
    return reproduce.training_scale(args.scale, epochs=args.epochs, patience=args.patience,
                                    max_train_pairs=args.max_train_pairs)


def test_scale_presets_are_the_papers_budget_and_the_demos():
    from nlc.baselines.train import TrainConfig

    defaults = TrainConfig(model="cnn", negatives="random")
    paper = reproduce.SCALES["paper"]
    # The paper gives no epochs or early stopping: the documented training defaults stand in.
    assert (paper.epochs, paper.patience, paper.max_train_pairs) == (defaults.epochs, defaults.patience, None)
    assert reproduce.DEFAULT_SCALE == "paper" and reproduce.training_scale() is paper
    demo = reproduce.SCALES["demo"]
    assert (demo.epochs, demo.patience, demo.max_train_pairs) == (4, 3, 256)  # scripts/demo.sh's settings
    assert reproduce.training_scale("demo", epochs=4) is demo  # a flag equal to the preset overrides nothing
    mixed = reproduce.training_scale("paper", epochs=2)
    assert (mixed.epochs, mixed.patience, mixed.max_train_pairs, mixed.overrides) == (2, 3, None, ("epochs",))
    assert "scale paper with epochs overridden: at most 2 epochs" in mixed.describe()
    assert "every training pair per epoch" in paper.describe()
    assert reproduce.training_scale(mixed, max_train_pairs=8).overrides == ("epochs", "max_train_pairs")
    with pytest.raises(InputError, match="unknown scale"):
        reproduce.training_scale("huge")
    with pytest.raises(InputError, match="epochs must be >= 1"):
        reproduce.training_scale("demo", epochs=0)
    with pytest.raises(InputError, match="max_train_pairs must be >= 1"):
        reproduce.training_scale("paper", max_train_pairs=0)


def test_scale_flag_chooses_the_preset_and_explicit_flags_override_it(capsys):
    from nlc.benchmark.cli import SCALE_NAMES

    assert SCALE_NAMES == tuple(reproduce.SCALES)
    paper = _scale_of("--scale", "paper")
    assert paper == reproduce.SCALES["paper"] and paper.max_train_pairs is None and paper.epochs == 10
    assert _scale_of() == paper  # the command reproduces the paper unless told otherwise
    assert _scale_of("--scale", "paper", "--epochs", "3").epochs == 3
    demo = _scale_of("--scale", "demo", "--epochs", "7", "--max-train-pairs", "64")
    assert (demo.name, demo.epochs, demo.patience, demo.max_train_pairs) == ("demo", 7, 3, 64)
    assert demo.overrides == ("epochs", "max_train_pairs")
    for bad, why in ((["--scale", "huge"], "invalid choice: 'huge'"), (["--epochs", "0"], "must be >= 1, got 0"),
                     (["--max-train-pairs", "0"], "must be >= 1"), (["--patience", "-1"], "must be >= 1")):
        with pytest.raises(SystemExit):
            _scale_of(*bad)
        assert why in capsys.readouterr().err
    # The help restates the presets (the CLI does not import them, to keep --help fast): keep it true.
    text = " ".join(_reproduce_parser().format_help().split())
    for name, s in reproduce.SCALES.items():
        pairs = "the whole train split every epoch" if s.max_train_pairs is None else f"{s.max_train_pairs} positive pairs"
        epochs = f"at most {s.epochs} epochs, early stop after {s.patience}" if name == "paper" else f"{s.epochs} epochs of"
        assert f"{name}: {epochs}" in text and pairs in text, name
    assert "same early stop" in text and reproduce.SCALES["demo"].patience == reproduce.SCALES["paper"].patience


def _stub_run(sub, protocol, **kw):
    """A results file for ``run_benchmark``'s place: scoring is other tests' subject."""
    res = _results(np.ones(8, bool), np.array([1, 2]), n_cand=4, name=kw["name"])
    return res.model_copy(update={"dataset": res.dataset.model_copy(update={"content_hash": protocol.content_hash})})


def test_reproduce_passes_the_budget_records_it_and_refuses_another(tiny_dataset, tmp_path, monkeypatch):
    import nlc.baselines.train as train
    import nlc.benchmark.ladder as ladder
    from nlc.benchmark import run as run_module

    seen = []

    def fake_train(**kwargs):
        seen.append({k: kwargs[k] for k in ("epochs", "patience", "max_train_pairs")})
        raise InputError("not trained here")

    monkeypatch.setattr(train, "train_baseline", fake_train)
    monkeypatch.setattr(run_module, "run_benchmark", _stub_run)
    monkeypatch.setattr(reproduce, "table2_png", lambda rows, path, **kw: path)
    monkeypatch.setattr(ladder, "write_ladder", lambda *a, **kw: None)
    out = tmp_path / "t2"
    run = dict(data=tiny_dataset, out=out, negatives=["shift"], n_resamples=50)
    table = reproduce.reproduce_table2(scale="demo", epochs=2, **run)
    assert seen == [{"epochs": 2, "patience": 3, "max_train_pairs": 256}] * 2  # CNN and SNN
    assert json.loads((out / reproduce.SCALE_FILE).read_text()) == {
        "scale": "demo", "epochs": 2, "patience": 3, "max_train_pairs": 256, "overrides": ["epochs"]}
    assert table.endswith("Training budget: scale demo with epochs overridden: at most 2 epochs per baseline, early "
                          "stop after 3 epochs without a lower validation loss, 256 positive training pairs per epoch.")
    assert "Training budget: scale demo" in (out / "table2_ci.md").read_text()

    # Once a trained entry's results exist, another budget in the same folder is refused; the same one goes on.
    R.save_results(_stub_run(None, run_module.open_protocol(tiny_dataset), name="cnn-shift"),
                   out / "results" / "cnn-shift.json")
    with pytest.raises(InputError, match="another budget"):
        reproduce.reproduce_table2(scale="paper", **run)
    seen.clear()
    reproduce.reproduce_table2(scale="demo", epochs=2, **run)
    assert seen == [{"epochs": 2, "patience": 3, "max_train_pairs": 256}]  # cnn-shift kept (resume), snn-shift retried
    assert json.loads((out / reproduce.SCALE_FILE).read_text())["epochs"] == 2
