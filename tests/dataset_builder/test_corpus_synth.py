"""Synthetic corpus: layout matches the stems, structure, determinism, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from nlc.errors import InputError
from nlc.dataset_builder.corpus.synth import build_synth_corpus
from nlc.dataset_builder.corpus.synth_loops import KIND_ROLES, Grid, Harmony, render_loop
from nlc.dataset_builder.corpus.synth_layout import LAYOUT_KINDS, make_layout
from nlc.dataset_builder.corpus.synth_song import TEMPOS, plan_song, render_song
from nlc.dataset_builder.corpus.truth import bar_activity, read_truth
from nlc.dataset_builder.fma_metadata import HIPHOP_GENRE_ID, audio_path, read_tracks_csv
from nlc.spec import SAMPLE_RATE


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    report = build_synth_corpus(out, n_songs=4, seed=3, progress=False)
    assert report["failed"] == {} and len(report["done"]) == 4
    return out


@pytest.mark.parametrize("track_id", [1, 2, 3, 4])  # one song per layout kind
def test_layout_matches_stem_bar_energies(corpus, track_id):
    truth = read_truth(corpus / "ground_truth" / f"{track_id:06d}")
    assert truth["layout_kind"] == LAYOUT_KINDS[track_id - 1]
    starts = np.round(np.append(truth["downbeats"], truth["duration"]) * SAMPLE_RATE).astype(int)
    stems = [sf.read(corpus / "ground_truth" / f"{track_id:06d}" / loop["stem"])[0] for loop in truth["loops"]]
    np.testing.assert_array_equal(bar_activity(stems, starts), np.array(truth["layout"]))
    mix, sr = sf.read(audio_path(corpus, track_id))
    assert sr == SAMPLE_RATE and mix.size == starts[-1]
    # the mix is the sum of the stems (up to 16-bit rounding)
    assert np.max(np.abs(mix - np.sum(stems, axis=0))) < 1e-3 * len(stems)


def test_truth_structure(corpus):
    for tid in range(1, 5):
        truth = read_truth(corpus / "ground_truth" / f"{tid:06d}")
        assert truth["tempo"] in TEMPOS and 70 <= truth["tempo"] <= 140
        assert 16 <= truth["n_bars"] <= 32 and 3 <= len(truth["loops"]) <= 6
        bar_s = 240.0 / truth["tempo"]
        np.testing.assert_allclose(np.diff(truth["downbeats"]), bar_s, atol=1e-5)
        assert truth["downbeats"][0] == 0.0
        layout = np.array(truth["layout"])
        assert layout.sum(axis=1).min() >= 1 and layout.sum(axis=0).min() >= 1
        for j, loop in enumerate(truth["loops"]):
            assert loop["role"] in {"drum", "bass", "pad", "lead"} and loop["bars"] in (1, 2)
            if loop["bars"] == 2:  # two-bar loops play whole
                assert np.all(layout[0::2, j] == layout[1::2, j])
            assert (corpus / "ground_truth" / f"{tid:06d}" / loop["stem"]).is_file()


def test_metadata_is_fma_shaped_hiphop(corpus):
    df = read_tracks_csv(corpus)
    assert list(df.index) == [1, 2, 3, 4]
    assert all(g == [HIPHOP_GENRE_ID] for g in df["track", "genres"])
    assert set(df["track", "genre_top"]) == {"Hip-Hop"}
    assert df["track", "license"].notna().all() and df["artist", "name"].notna().all()


def test_loops_occupy_distinct_spectral_regions():
    harmony = Harmony(root=9, mode="minor", chords=(0, 5), chord_steps=16)
    grid = Grid(bar_samples=4 * 60 * SAMPLE_RATE // 90, bars=2, swing=0.0)
    freqs = np.fft.rfftfreq(grid.n_samples, 1 / SAMPLE_RATE)
    centroid = {}
    for j, kind in enumerate(KIND_ROLES):
        loop = render_loop(kind, grid, harmony, np.random.default_rng(j), song_kinds=tuple(KIND_ROLES))
        assert loop.shape == (grid.n_samples,) and np.all(np.isfinite(loop))
        spec = np.abs(np.fft.rfft(loop)) ** 2
        centroid[kind] = float((freqs * spec).sum() / spec.sum())
    assert centroid["bass"] < 300 < centroid["pad"] < centroid["lead"]
    assert centroid["perc"] > 4000 and centroid["arp"] > centroid["pad"]


def test_same_seed_identical_files_and_resume(tmp_path, corpus):
    report = build_synth_corpus(tmp_path, n_songs=2, seed=3, progress=False)
    assert report["done"] == [1, 2]
    for tid in (1, 2):
        a, b = audio_path(tmp_path, tid), audio_path(corpus, tid)
        assert a.read_bytes() == b.read_bytes()
        truth = f"ground_truth/{tid:06d}/truth.json"
        assert (tmp_path / truth).read_text() == (corpus / truth).read_text()
    # re-run: finished songs are skipped, missing ones rendered
    again = build_synth_corpus(tmp_path, n_songs=3, seed=3, progress=False)
    assert again["skipped"] == [1, 2] and again["done"] == [3]
    assert json.loads((tmp_path / "corpus_report.json").read_text())["n_finished"] == 3
    # another seed into the same folder re-renders instead of mixing two corpora
    other = build_synth_corpus(tmp_path, n_songs=1, seed=9, progress=False)
    assert other["done"] == [1] and read_truth(tmp_path / "ground_truth" / "000001")["seed"] == 9
    a, b = plan_song(1, seed=3), plan_song(1, seed=4)  # another seed, another song
    assert (a.tempo, a.kinds, a.layout.tobytes(), a.harmony) != (b.tempo, b.kinds, b.layout.tobytes(), b.harmony)


def test_workers_write_the_same_bytes(tmp_path, corpus):
    report = build_synth_corpus(tmp_path, n_songs=4, seed=3, workers=2, progress=False)
    assert report["done"] == [1, 2, 3, 4] and report["failed"] == {}
    for tid in range(1, 5):
        assert audio_path(tmp_path, tid).read_bytes() == audio_path(corpus, tid).read_bytes()
    for name in ("fma_metadata/tracks.csv", "corpus.json", "ground_truth/000004/truth.json"):
        assert (tmp_path / name).read_bytes() == (corpus / name).read_bytes()
    with pytest.raises(InputError, match="workers"):
        build_synth_corpus(tmp_path, n_songs=1, workers=0, progress=False)


def test_a_song_that_cannot_be_written_is_recorded_and_the_rest_finish(tmp_path, monkeypatch):
    import nlc.dataset_builder.corpus.synth as synth

    real = synth.render_to_disk

    def disk_full_on_song_2(out, track_id, *, seed):
        if track_id == 2:
            raise sf.LibsndfileError(0, prefix="Error opening 'stems/perc.wav': ")
        return real(out, track_id, seed=seed)

    monkeypatch.setattr(synth, "render_to_disk", disk_full_on_song_2)
    report = build_synth_corpus(tmp_path, n_songs=3, seed=3, progress=False)
    assert report["done"] == [1, 3] and list(report["failed"]) == ["2"]
    assert report["failed"]["2"].startswith("LibsndfileError")
    assert json.loads((tmp_path / "corpus_report.json").read_text())["n_finished"] == 2


def test_every_combination_holds_every_subset():
    rng = np.random.default_rng(0)
    layout = make_layout("every_combination", ("drums", "bass", "pad"), (1, 1, 1), rng=rng)
    rows = {tuple(r) for r in layout}
    assert len(rows) == 7 and layout.shape[0] >= 16
    with pytest.raises(InputError, match="unknown layout kind"):
        make_layout("random", ("drums",), (1,), rng=rng)


def test_corpus_record_says_what_the_corpus_is(corpus, tmp_path):
    """``corpus.json``: kind, generator version and seed, no times; the build reads it into its report."""
    from nlc.dataset_builder.build.builder import corpus_entry
    from nlc.dataset_builder.corpus.synth import CORPUS_JSON

    record = json.loads((corpus / CORPUS_JSON).read_text())
    assert record["kind"] == "synthetic" and record["generator"] == "nlc-bench corpus synth"
    assert (record["seed"], record["songs"], record["first_track_id"], record["last_track_id"]) == (3, 4, 1, 4)
    assert len(record["generator_code"]) == 64 and record["generator_version"]
    assert not {"seconds", "audio_seconds", "done"} & set(record)
    before = (corpus / CORPUS_JSON).read_bytes()
    build_synth_corpus(corpus, n_songs=4, seed=3, progress=False)  # a resumed run: same corpus, same bytes
    assert (corpus / CORPUS_JSON).read_bytes() == before
    assert corpus_entry(corpus) == {**record, "name": corpus.name}
    # a folder without a record is an FMA download; a broken record is refused, not guessed
    assert corpus_entry(tmp_path) == {"kind": "fma", "name": tmp_path.name}
    (tmp_path / CORPUS_JSON).write_text('{"kind": "cd-rips"}')
    with pytest.raises(InputError, match="cd-rips"):
        corpus_entry(tmp_path)
    (tmp_path / CORPUS_JSON).write_text("{")
    with pytest.raises(InputError, match="unreadable corpus record"):
        corpus_entry(tmp_path)


def test_lmms_corpus_record_keeps_every_lmms_version(tmp_path):
    from pathlib import Path

    from nlc.dataset_builder.corpus.lmms_corpus import lmms_record, lmms_version
    from nlc.dataset_builder.corpus.synth import CORPUS_JSON, write_corpus_record

    fake = tmp_path / "lmms"
    fake.write_text("#!/bin/sh\necho 'LMMS 9.8.7'\necho '(Linux x86_64, Qt 5.15.8)'\n")
    fake.chmod(0o755)
    assert lmms_version(str(fake)) == "9.8.7" and lmms_version(str(tmp_path / "missing")) == "unknown"
    projects = [Path("/p/demos/B-Two.mmpz"), Path("/p/shorties/A-One.mmp")]
    first = lmms_record(tmp_path, projects, version="1.2.2")
    assert first == {"kind": "lmms", "lmms_version": "1.2.2", "projects": ["A-One.mmp", "B-Two.mmpz"], "songs": 2}
    write_corpus_record(tmp_path, first)
    assert lmms_record(tmp_path, projects, version=None)["lmms_version"] == "1.2.2"  # nothing rendered now
    assert lmms_record(tmp_path, projects, version="1.3.0")["lmms_version"] == "1.2.2, 1.3.0"
    assert json.loads((tmp_path / CORPUS_JSON).read_text()) == first
    with pytest.raises(InputError, match="fma"):
        write_corpus_record(tmp_path, {"kind": "fma"})
