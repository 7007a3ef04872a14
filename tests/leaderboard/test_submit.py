import json

import pytest

from nlc.benchmark import results as R
from nlc.errors import InputError, IntegrityError
from nlc.leaderboard.board import init_board, load_board
from nlc.leaderboard.checks import check_entry
from nlc.leaderboard.entry import load_entry
from nlc.leaderboard.submit import submit_entry

from leaderboard_fixtures import PROTOCOL, results_for


def _edit(path, change):
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))
    return path


def test_accepted_entry_keeps_whole_results(board, results_file):
    path = results_file(seed=1)
    entry_file = submit_entry(path, board=board, name="CNN (reverse) v1", paper="https://example.org/p.pdf")
    assert entry_file == board / "submissions" / "cnn-reverse-v1.json"
    entry = check_entry(entry_file)
    assert entry.name == "CNN (reverse) v1" and entry.paper == "https://example.org/p.pdf" and entry.code is None
    assert R.BenchmarkResults.model_validate(entry.results) == R.load_results(path)
    assert entry.verification is None and entry.submitted.endswith("Z")


@pytest.mark.parametrize("field", ["accuracy", "f1", "roc_auc", "average_rank", "top10", "top30", "top50"])
def test_edited_metric_is_refused_naming_the_field(board, results_file, field):
    path = _edit(results_file(), lambda r: r["metrics"].__setitem__(field, r["metrics"][field] + 0.01))
    with pytest.raises(IntegrityError, match=rf"field metrics\.{field} \(stored"):
        submit_entry(path, board=board, name="x")
    assert not list((board / "submissions").glob("*.json"))


def test_edited_interval_and_method_accuracy_are_refused(board, results_file):
    path = _edit(results_file(), lambda r: r["intervals"]["top10"].__setitem__("low", r["intervals"]["top10"]["low"] + 0.05))
    with pytest.raises(IntegrityError, match=r"field intervals\.top10\.low"):
        submit_entry(path, board=board, name="x")
    path = _edit(results_file(), lambda r: r["metrics"]["method_accuracy"].__setitem__("shift", 1.0))
    with pytest.raises(IntegrityError, match=r"field metrics\.method_accuracy\.shift"):
        submit_entry(path, board=board, name="x")


def test_edited_per_item_score_is_refused_by_recomputation(board, results_file):
    def flip(raw):  # a positive the model rejected is now accepted; the figures are left as they were
        item = next(c for c in raw["classification"] if c["label"] == 1 and c["score"] < 0.5)
        item["score"] = 0.99

    with pytest.raises(IntegrityError, match=r"field metrics\.accuracy \(stored"):
        submit_entry(_edit(results_file(), flip), board=board, name="x")

    def promote(raw):  # the true target now outscores every candidate, its stored rank is left
        q = next(q for q in raw["ranking"] if q["target_rank"] > 1)
        q["scores"][q["candidate_ids"].index(q["target_id"])] = 99.0

    with pytest.raises(InputError, match="target_rank"):
        submit_entry(_edit(results_file(), promote), board=board, name="x")


def test_consistently_forged_labels_are_refused(board, tables, tmp_path):
    cls, rank = tables
    forged = cls.copy()
    forged.loc[forged.index[-1], "label"] = 1  # a negative relabelled, figures recomputed to match
    forged.loc[forged.index[-1], "method"] = "positive"
    path = R.save_results(results_for(forged, rank, protocol=PROTOCOL), tmp_path / "forged.json")
    R.load_results(path)  # internally consistent
    with pytest.raises(IntegrityError, match="not the protocol's"):
        submit_entry(path, board=board, name="x")


@pytest.mark.parametrize(("key", "value"), [("content_hash", "c" * 64), ("dataset_fingerprint", "d" * 64),
                                            ("protocol_version", "0.9")])
def test_other_release_is_refused(board, results_file, key, value):
    path = results_file(protocol={**PROTOCOL, key: value})
    with pytest.raises(IntegrityError, match=rf"dataset\.{key} '{value}' is not the board's"):
        submit_entry(path, board=board, name="x")


def test_schema_version_is_checked(board, results_file):
    path = _edit(results_file(), lambda r: r.__setitem__("schema_version", "0.1"))
    with pytest.raises(InputError, match="schema_version"):
        submit_entry(path, board=board, name="x")
    config = load_board(board).model_copy(update={"results_schema_version": "2.0"})
    (board / "board.json").write_text(config.model_dump_json())
    with pytest.raises(IntegrityError, match="schema_version '1.0' is not the board's '2.0'"):
        submit_entry(results_file(), board=board, name="x")


def test_duplicates_are_refused_unless_replace(board, results_file):
    first = submit_entry(results_file(seed=1), board=board, name="Model A")
    with pytest.raises(InputError, match="exists; pass --replace"):
        submit_entry(results_file(seed=2), board=board, name="model a")
    with pytest.raises(InputError, match="already on the board as 'Model A'"):
        submit_entry(results_file(seed=1, name="again"), board=board, name="Model B")
    again = submit_entry(results_file(seed=2), board=board, name="model a", replace=True)
    assert again == first and load_entry(again).name == "model a"


def test_awaiting_board_takes_no_entries(tmp_path, results_file):
    init_board(tmp_path / "fma", release="fma")
    with pytest.raises(IntegrityError, match="accepts no entries yet"):
        submit_entry(results_file(), board=tmp_path / "fma", name="x")


@pytest.mark.parametrize("url", ["ftp://x.org/a", "javascript:alert(1)", "example.org", "https://x.org/<b>"])
def test_links_must_be_http_urls(board, results_file, url):
    with pytest.raises(InputError, match="not an absolute http"):
        submit_entry(results_file(), board=board, name="x", code=url)


def test_tampered_committed_entry_is_caught(board, results_file):
    path = submit_entry(results_file(seed=3), board=board, name="m")
    raw = json.loads(path.read_text())
    raw["results"]["metrics"]["average_rank"] += 1.0
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="results_sha256"):
        check_entry(path)
    from nlc.leaderboard.entry import results_digest

    raw["results_sha256"] = results_digest(raw["results"])
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match=r"field metrics\.average_rank"):
        check_entry(path)
    renamed = path.with_name("other.json")
    path.rename(renamed)
    with pytest.raises(IntegrityError, match="file name and slug"):
        check_entry(renamed)
