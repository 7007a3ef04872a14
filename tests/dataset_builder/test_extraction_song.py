import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from extraction_songs import make_song

from nlc.errors import InputError
from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
from nlc.dataset_builder.extraction import evaluate as ev
from nlc.spec import LOOP_SAMPLES, SAMPLE_RATE


@pytest.fixture(scope="module")
def song():
    return make_song(tempo=110.0, pickup_beats=1, seed=4)


@pytest.fixture(scope="module")
def extracted(song, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("extract")
    wav = tmp / "song.wav"
    sf.write(wav, song.audio, SAMPLE_RATE, subtype="FLOAT")
    summary = extract_song(wav, tmp / "out", song_id="000042", plot=True)
    return summary, tmp / "out" / "000042"


def test_folder_contract(extracted):
    summary, folder = extracted
    assert sorted(p.name for p in folder.iterdir()) == ["extraction.png", "layout.npy", "loops", "pairs.csv",
                                                        "summary.json"]
    assert json.loads((folder / "summary.json").read_text()) == summary
    ids = summary["loops"]
    assert ids and all(i.startswith("loop") and len(i) == 6 for i in ids)
    assert sorted(p.stem for p in (folder / "loops").iterdir()) == sorted(ids)
    for lid in ids:
        audio, sr = sf.read(folder / "loops" / f"{lid}.wav")
        assert sr == SAMPLE_RATE and audio.shape == (LOOP_SAMPLES,)
        assert np.max(np.abs(audio)) > 1e-3
    layout = np.load(folder / "layout.npy")
    assert layout.shape == (summary["n_bars"], len(ids))
    assert np.all(layout >= 0) and np.all(layout <= 1 + 1e-6)
    pairs = pd.read_csv(folder / "pairs.csv", dtype=str)
    assert list(pairs.columns) == ["loop_a", "loop_b"]
    assert set(pairs.loop_a) | set(pairs.loop_b) <= set(ids)
    assert len(pairs) == summary["n_pairs"]
    assert set(summary["best_bar"]) == set(ids)
    for key in ("tempo", "downbeats", "ranks", "timings", "cpu_timings", "refinement"):
        assert key in summary
    steps = ["decode", "spectrogram", "beats", "tensor", "decomposition", "separation", "refinement", "pairs",
             "stretch", "write", "total"]
    for timings in (summary["timings"], summary["cpu_timings"]):
        assert list(timings) == steps and all(v >= 0 for v in timings.values())
        assert timings["total"] == pytest.approx(sum(v for k, v in timings.items() if k != "total"), abs=1e-3)
    refinement = summary["refinement"]
    assert refinement["n_before"] - refinement["n_after"] == len(refinement["removed"]) + len(refinement["rare"])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_tempo_downbeats_and_quality_floor(song, extracted):
    summary, folder = extracted
    assert summary["tempo"] == pytest.approx(song.tempo, rel=0.02)
    assert np.min(np.abs(song.downbeats - summary["downbeats"][0])) < 0.03
    config = ExtractionConfig(**summary["config"])
    truth = ev.stem_truth(song.stems, np.array(summary["downbeats"]), config=config)
    layout = np.load(folder / "layout.npy")
    # the loops' own spectrograms are not saved; use the bar tensor of each loop's audio instead
    from nlc.dataset_builder.extraction.pipeline import extract_loops

    ex = extract_loops(song.audio, config=config)
    np.testing.assert_allclose(ex.layout, layout, atol=1e-6)  # deterministic
    matches = ev.match_loops(ex.spectrograms, layout >= config.pair_threshold, truth)
    idx = {lid: k for k, lid in enumerate(summary["loops"])}
    pairs = pd.read_csv(folder / "pairs.csv", dtype=str)
    p, r = ev.pair_scores([(idx[a], idx[b]) for a, b in zip(pairs.loop_a, pairs.loop_b)], matches, truth.active)
    recall = ev.loop_recall(matches, len(truth.names))
    assert recall >= 0.75
    assert p >= 0.6


def test_existing_folder_is_replaced_atomically(song, tmp_path):
    wav = tmp_path / "s.wav"
    sf.write(wav, song.audio, SAMPLE_RATE)
    (tmp_path / "out" / "000001").mkdir(parents=True)
    (tmp_path / "out" / "000001" / "stale.txt").write_text("old")
    extract_song(wav, tmp_path / "out", song_id="000001", config=ExtractionConfig(n_iter=30))
    assert not (tmp_path / "out" / "000001" / "stale.txt").exists()
    assert (tmp_path / "out" / "000001" / "summary.json").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["000001"]


def test_failure_while_writing_leaves_no_folder(song, tmp_path, monkeypatch):
    import pathlib

    wav = tmp_path / "s.wav"
    sf.write(wav, song.audio, SAMPLE_RATE)
    real, written = pathlib.Path.write_bytes, []

    def fail_on_third(self, data):  # the disk fills up with the song's folder half written
        if len(written) == 2:
            raise OSError("disk full")
        written.append(self)
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        extract_song(wav, tmp_path / "out", song_id="000002", config=ExtractionConfig(n_iter=30))
    assert len(written) == 2 and list((tmp_path / "out").iterdir()) == []


def test_a_song_whose_loops_are_all_rare_keeps_an_empty_folder(song, tmp_path):
    # a share of 1: only a loop playing in every bar may stay, and in this song every loop rests somewhere
    assert not song.layout.all(axis=0).any()
    wav = tmp_path / "s.wav"
    sf.write(wav, song.audio, SAMPLE_RATE)
    config = ExtractionConfig(n_iter=30, min_loop_share=1.0)
    summary = extract_song(wav, tmp_path / "out", song_id="000003", config=config)
    folder = tmp_path / "out" / "000003"
    assert summary["loops"] == [] and summary["n_pairs"] == 0 and summary["refinement"]["rare"]
    assert summary["refinement"]["n_after"] == 0 and summary["best_bar"] == {}
    assert not (folder / "loops").exists()
    assert np.load(folder / "layout.npy").shape == (summary["n_bars"], 0)
    assert pd.read_csv(folder / "pairs.csv", dtype=str).empty


def test_config_is_frozen_and_picklable():
    import pickle

    c = ExtractionConfig(seed=3)
    assert pickle.loads(pickle.dumps(c)) == c
    with pytest.raises(Exception):
        c.seed = 4  # type: ignore[misc]
    with pytest.raises(InputError):
        ExtractionConfig(method="nope")  # type: ignore[arg-type]
    assert ExtractionConfig.paper().method == "tucker" and ExtractionConfig.paper().rank_rule == "smith"


def test_paper_variant_runs_and_normalises_bars_to_unit_l2(song):
    from nlc.dataset_builder.extraction.pipeline import extract_loops

    config = ExtractionConfig.paper(n_iter=40)
    ex = extract_loops(song.audio, config=config)
    assert ex.decomposition.ranks[0] < config.n_mels  # Smith's template bottleneck
    norms = np.linalg.norm(ex.layout, axis=1)
    np.testing.assert_allclose(norms[norms > 0], 1.0, rtol=1e-5)
    assert all(a < b for a, b in (tuple(sorted(p)) for p in ex.pairs))
