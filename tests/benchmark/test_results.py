import json

import pytest

from nlc.benchmark import results as R
from nlc.errors import InputError, IntegrityError


def test_roundtrip_and_recompute(tmp_path, make_results):
    res = make_results()
    path = R.save_results(res, tmp_path / "r.json")
    back = R.load_results(path)
    assert back == res
    point, ci = R.recompute_metrics(back, intervals=True)
    assert point == res.metrics and ci == res.intervals
    R.check_metrics(back, intervals=True)


def test_edited_figure_is_refused(tmp_path, make_results):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    raw["metrics"]["top10"] += 0.1
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="metrics.top10"):
        R.load_results(path)
    assert R.load_results(path, verify=False).metrics.top10 == raw["metrics"]["top10"]


def test_edited_score_breaks_stored_rank(tmp_path, make_results):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    q = raw["ranking"][0]
    q["scores"][q["candidate_ids"].index(q["target_id"])] = 99.0
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match="ranking.0.*target_rank"):
        R.load_results(path)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r.update(schema_version="0.9"), "schema_version '0.9'"),
        (lambda r: r["classification"][0].update(label=2), "classification.0.label"),
        (lambda r: r.update(surprise=1), "surprise"),
        (lambda r: r["classification"].pop(), "classification items"),
        (lambda r: r["classification"][0].update(score=float("nan")), "NaN or infinite"),
    ],
)
def test_schema_violations_are_one_line_input_errors(tmp_path, make_results, edit, match):
    path = R.save_results(make_results(), tmp_path / "r.json")
    raw = json.loads(path.read_text())
    edit(raw)
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=match) as info:
        R.load_results(path)
    assert "\n" not in str(info.value)


def test_unreadable_file(tmp_path):
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(InputError, match="not a readable JSON"):
        R.load_results(tmp_path / "x.json")


def test_ranking_query_refuses_a_repeated_candidate():
    with pytest.raises(ValueError, match="candidate b appears more than once"):
        R.RankingQuery(query_id="q", target_id="a", candidate_ids=["a", "b", "b"], scores=[0.9, 0.1, 0.2], target_rank=1)
