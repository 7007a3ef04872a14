"""``reproduce table2``: rendering, resume and failure recording on the tiny dataset.

Training itself is the baselines' subject; here the reference entries (AutoMashUpper,
random) are scored for real, and a training failure is provoked to check that it is
recorded while the other entries go on.
"""

import json

import pytest

from nlc.benchmark import reproduce
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
    first = (out / "results" / "random_baseline.json").read_text()
    assert load_results(out / "results" / "automashupper.json").model.name == "automashupper"

    assert main(args) == 0
    assert "random_baseline: already finished, kept" in capsys.readouterr().err
    assert (out / "results" / "random_baseline.json").read_text() == first


def test_table2_bolds_best_and_lowest_rank(make_results):
    a, b = make_results(seed=0), make_results(seed=1)
    rows = [(reproduce.Entry("cnn-random", "CNN", "Random"), a), (reproduce.Entry("snn-random", "Siamese NN", "Random"), b),
            (reproduce.Entry("x", "Random", "-"), None)]
    table = reproduce.table2_markdown(rows).splitlines()
    best_rank = min(round(a.metrics.average_rank, 1), round(b.metrics.average_rank, 1))
    assert any(f"**{best_rank:.1f}**" in line for line in table[2:4])
    assert table[-1] == "| Random | - | - | - | - | - | - | - |"
    with pytest.raises(InputError, match="unknown negative"):
        reproduce.entries(["swap"])
