import json

import pytest

from nlc.benchmark import results as R
from nlc.loops.reader import open_dataset
from nlc.errors import InputError, IntegrityError
from nlc.leaderboard.board import init_board, load_board
from nlc.leaderboard.checks import check_entry
from nlc.leaderboard.submit import submit_entry

from leaderboard_fixtures import results_for


def test_awaiting_board_then_bound_to_a_build(tmp_path, tiny_dataset):
    board = tmp_path / "fma"
    config = init_board(board, release="fma")
    assert config.awaiting and config.release == "fma" and (board / "submissions").is_dir()
    assert "init --data" in config.note
    bound = init_board(board, data=tiny_dataset)
    info = open_dataset(tiny_dataset).info
    assert not bound.awaiting and bound.release == "fma" and bound.created == config.created
    assert (bound.protocol_version, bound.protocol_hash, bound.dataset_fingerprint) == (
        info.protocol_version, info.content_hash, info.dataset_fingerprint)
    assert bound.results_schema_version == R.SCHEMA_VERSION
    assert bound.counts["classification_items"] == info.counts["classification_items"]
    assert load_board(board) == bound
    assert init_board(board, data=tiny_dataset) == bound  # idempotent


def test_bound_board_refuses_another_release(tmp_path, tiny_dataset):
    board = tmp_path / "b"
    init_board(board, data=tiny_dataset, release="synthetic")
    raw = json.loads((board / "board.json").read_text())
    raw["protocol_hash"] = "0" * 64
    (board / "board.json").write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="already bound"):
        init_board(board, data=tiny_dataset)
    init_board(tmp_path / "c", release="fma")
    with pytest.raises(IntegrityError, match="not lmms"):
        init_board(tmp_path / "c", release="lmms")


def test_new_board_needs_a_release_name(tmp_path, tiny_dataset):
    """The message says what is missing, and does not ask for the --data that was given."""
    with pytest.raises(InputError, match=r"needs a release name: pass --release .*--data binds the dataset but"):
        init_board(tmp_path / "b", data=tiny_dataset)
    with pytest.raises(InputError, match="needs a release name") as info:
        init_board(tmp_path / "b")
    assert "--data" not in str(info.value) and not (tmp_path / "b").exists()


def test_malformed_config_names_the_field(tmp_path):
    init_board(tmp_path / "b", release="x")
    raw = json.loads((tmp_path / "b" / "board.json").read_text())
    raw["counts"] = "many"
    (tmp_path / "b" / "board.json").write_text(json.dumps(raw))
    with pytest.raises(InputError, match="field 'counts'"):
        load_board(tmp_path / "b")
    with pytest.raises(InputError, match="no board config"):
        load_board(tmp_path / "nowhere")


def test_results_on_the_real_protocol_are_accepted(tmp_path, tiny_dataset):
    board = tmp_path / "syn"
    init_board(board, data=tiny_dataset, release="synthetic")
    ds = open_dataset(tiny_dataset)
    info = ds.info
    protocol = {"protocol_version": info.protocol_version, "content_hash": info.content_hash,
                "dataset_fingerprint": info.dataset_fingerprint}
    cls, rank = ds.classification(), ds.ranking()
    path = R.save_results(results_for(cls, rank, protocol=protocol, seed=4), tmp_path / "r.json")
    check_entry(submit_entry(path, board=board, name="fake"))
    dropped = R.save_results(results_for(cls.iloc[:-1], rank, protocol=protocol), tmp_path / "d.json")
    with pytest.raises(IntegrityError, match="n_classification"):
        submit_entry(dropped, board=board, name="dropped")
