"""The validity ladder: on a keyed synthetic release the harness must order oracle > random, separated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlc.benchmark.ladder import AudibleKeyOracle, KeyOracle, key_class, ladder_table, run_ladder, sample_digest, separated
from nlc.errors import InputError
from nlc.loops.negatives import rearrange, reverse, shift


@pytest.fixture(scope="module")
def keyed_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import build_tiny_dataset

    root = tmp_path_factory.mktemp("keyed")
    return build_tiny_dataset(root / "nlc-loops", work_root=root / "work", n_songs=100, keyed=True)


def test_the_harness_orders_oracle_above_random_with_separated_intervals(keyed_release: Path) -> None:
    ladder = run_ladder(keyed_release, seed=0, n_resamples=200)
    assert list(ladder) == ["oracle", "audible", "chroma", "random"]
    oracle, audible, random = ladder["oracle"], ladder["audible"], ladder["random"]
    assert oracle.dataset.n_queries == 20
    for metric in ("average_rank", "top10"):
        assert separated(oracle, random, metric), metric
    assert not separated(random, oracle, "average_rank")
    # the oracle judges harmony: perfect on positives and between-song negatives, blind to the within-song ones
    assert oracle.metrics.method_accuracy["positive"] == 1.0 and oracle.metrics.method_accuracy["random"] == 1.0
    assert oracle.intervals.method_accuracy["random"].low > random.intervals.method_accuracy["random"].high
    assert oracle.metrics.roc_auc > random.metrics.roc_auc
    # the audible ceiling hears no key in a drum loop: never above the key oracle, ranked by its pair scores
    assert audible.model.ranking_by == "score" and audible.metrics.average_rank > oracle.metrics.average_rank
    assert audible.metrics.method_accuracy["positive"] < 1.0  # positives with a drum loop are guesses
    text = ladder_table(ladder)
    assert text.splitlines()[2].startswith("| oracle") and "20 queries x 20 candidates" in text
    assert text.splitlines()[3].startswith("| audible")


def test_the_audible_oracle_guesses_on_a_drum_loop_and_knows_the_rest() -> None:
    rng = np.random.default_rng(1)
    pitched_c, pitched_c2, pitched_d, drum = rng.standard_normal((4, 88200)).astype(np.float32)
    keys = {sample_digest(pitched_c): 0, sample_digest(pitched_c2): 0, sample_digest(pitched_d): 2,
            sample_digest(drum): 0}
    oracle = AudibleKeyOracle(keys=keys, keyless=frozenset({sample_digest(drum)}))
    sources = np.stack([pitched_c, pitched_c, reverse(pitched_c2), drum, pitched_d])
    targets = np.stack([pitched_c2, pitched_d, pitched_c, pitched_c, shift(drum, beats=1)])
    scores = oracle.score(sources, targets)
    assert scores[:3].tolist() == [1.0, 0.0, 1.0]  # a transformed pitched loop keeps its key
    assert np.all((scores[3:] > 0.49) & (scores[3:] < 0.51)) and scores[3] != scores[4]  # guesses, not ties
    assert oracle.score(sources, targets).tolist() == scores.tolist()  # the same guess on every run
    assert KeyOracle(keys=keys).score(drum[None], pitched_c[None]).tolist() == [1.0]  # the key oracle knows it


def test_the_oracle_sees_a_transformed_loop_as_its_own_key() -> None:
    rng = np.random.default_rng(0)
    loop = rng.standard_normal(88200).astype(np.float32)
    other = rng.standard_normal(88200).astype(np.float32)
    oracle = KeyOracle(keys={sample_digest(loop): 2, sample_digest(other): 9})
    variants = np.stack([loop, reverse(loop), shift(loop, beats=1), rearrange(loop, permutation=(1, 0, 3, 2))])
    assert oracle.score(variants, np.repeat(loop[None], 4, axis=0)).tolist() == [1.0] * 4
    assert oracle.score(loop[None], other[None]).tolist() == [0.0]
    unseen = rng.standard_normal((2, 88200)).astype(np.float32)  # the validation's generated audio
    assert oracle.score(unseen, unseen).tolist() == [1.0, 1.0] and oracle.score(unseen[:1], loop[None])[0] == 0.0


def test_bad_truth_and_untruthful_releases_are_refused(tiny_dataset: Path) -> None:
    assert key_class("D major") == 2 and key_class("A minor") == 21
    with pytest.raises(InputError, match="not '<tonic> major"):
        key_class("H dur")
    with pytest.raises(InputError, match="no truth.json"):
        run_ladder(tiny_dataset, rungs=["oracle"], n_resamples=10)
    with pytest.raises(InputError, match="unknown ladder rung"):
        run_ladder(tiny_dataset, rungs=["genius"])


@pytest.mark.slow
def test_reproduce_writes_the_ladder_beside_table2(keyed_release: Path, tmp_path: Path, monkeypatch) -> None:
    """Table 2's random baseline is the ladder's floor (scored once); the rungs stay out of results/."""
    import nlc.baselines.train as train
    from nlc.benchmark.reproduce import reproduce_table2

    monkeypatch.setattr(train, "train_baseline", lambda **kw: (_ for _ in ()).throw(InputError("skipped here")))
    out = tmp_path / "t2"
    reproduce_table2(data=keyed_release, out=out, negatives=["shift"], n_resamples=100)
    text = (out / "ladder.md").read_text()
    assert "| oracle |" in text and "| audible |" in text and "| random |" in text and "100 classification items" not in text
    assert sorted(p.name for p in (out / "ladder").iterdir()) == ["audible.json", "chroma.json", "oracle.json"]
    assert not any(p.name.startswith(("oracle", "chroma", "ladder")) for p in (out / "results").iterdir())
    before = (out / "ladder" / "oracle.json").read_text()
    reproduce_table2(data=keyed_release, out=out, negatives=["shift"], n_resamples=100)  # resumes
    assert (out / "ladder" / "oracle.json").read_text() == before


def test_reproduce_on_a_release_without_truth_writes_no_ladder(tiny_dataset: Path, tmp_path: Path) -> None:
    from nlc.benchmark.ladder import write_ladder

    assert write_ladder(tiny_dataset, tmp_path) is None and not (tmp_path / "ladder.md").exists()
