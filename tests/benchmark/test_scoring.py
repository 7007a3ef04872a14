import numpy as np

from nlc.benchmark.scoring import _blocks, pair_audio
from nlc.benchmark.synthetic import synthetic_protocol
from nlc.loops.negatives import apply_recipe
from nlc.loops.protocol_tables import row_recipe
from nlc.loops.reader import open_dataset


def _harness_pairs(table, audio_fn, block_rows):
    parts = [pair_audio(rows, audio, q, c) for _, rows, audio, q, c in _blocks(table, audio_fn, block_rows)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _row_by_row(table, audio):
    """The evaluated pairs as the contract defines them, one row at a time."""
    sources, candidates = [], []
    for row in table.itertuples(index=False):
        recipe = row_recipe(row.method, row.shift_beats, row.permutation)
        cand = audio[row.candidate_id]
        sources.append(audio[row.query_id])
        candidates.append(cand if recipe is None else apply_recipe(recipe, cand))
    return np.stack(sources), np.stack(candidates)


def test_pairs_equal_the_row_by_row_contract_on_every_method(tiny_dataset):
    data = synthetic_protocol(n_validation_songs=8, pairs_per_song=3, n_test_songs=5, seed=2)
    ds = open_dataset(tiny_dataset)
    for table, audio_fn in ((data.classification, data.audio_fn), (data.ranking, data.audio_fn),
                            (ds.classification(), ds.loop_audio)):
        ids = sorted(set(table["query_id"]) | set(table["candidate_id"]))
        expected = _row_by_row(table, dict(zip(ids, audio_fn(ids))))
        got = _harness_pairs(table, audio_fn, block_rows=7)  # blocks that split queries and pairs
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    assert {"reverse", "shift", "rearrange", "random", "selected"} <= set(data.classification["method"])


def test_cli_batch_size_default_is_the_harness_default():
    import argparse

    from nlc.benchmark import cli
    from nlc.benchmark.scoring import DEFAULT_BATCH_SIZE

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    assert parser.parse_args(["run", "model.py", "--data", "d", "--out", "r.json"]).batch_size == DEFAULT_BATCH_SIZE
