"""``listening-test make`` on the shared tiny dataset, checked against the results by hand."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
import yaml

from nlc.cli import main
from nlc.loops.reader import open_dataset
from nlc.errors import IntegrityError
from nlc.spec import LOOP_SAMPLES, SAMPLE_RATE
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.stimuli import load_system, make_stimuli, render_clips


def test_manifest_picks_are_each_systems_top_other_target(tiny_dataset, listening_results, listening_stimuli):
    manifest = load_manifest(listening_stimuli)
    assert manifest.systems == ["loudness", "brightness", "original"]
    ds = open_dataset(tiny_dataset)
    ranking = ds.ranking()
    truth = dict(ranking.loc[ranking["label"] == 1, ["query_id", "candidate_id"]].itertuples(index=False))
    roles = dict(ds.pairs("test")[["source_id", "source_role"]].itertuples(index=False))
    raw = {name: json.loads(path.read_text()) for name, path in listening_results.items()}
    assert manifest.groups, "at least one group"
    for group in manifest.groups:
        assert roles[group.source_id] == "drum" and group.source_type == "drum"  # tiny test sources: drum, bass
        for clip in group.clips:
            if clip.system == "original":
                assert clip.target_id == truth[group.source_id]
                continue
            query = next(q for q in raw[clip.system]["ranking"] if q["query_id"] == group.source_id)
            others = [(s, c) for c, s in zip(query["candidate_ids"], query["scores"]) if c != truth[group.source_id]]
            best = max(s for s, _ in others)
            assert clip.target_id == next(c for s, c in others if s == best)
    assert any("vocal" in note for note in manifest.notes)


def test_clips_are_blind_loudness_matched_wavs(tiny_dataset, listening_stimuli):
    manifest = load_manifest(listening_stimuli)
    ds = open_dataset(tiny_dataset)
    pairs, written = [], []
    for group in manifest.groups:
        assert sorted(c.clip for c in group.clips) == [f"{group.group}_c{k}" for k in range(1, 4)]
        for clip in group.clips:
            assert clip.system not in clip.file and clip.system not in clip.clip
            audio, sr = sf.read(listening_stimuli / clip.file, dtype="float64")
            assert sr == SAMPLE_RATE and audio.shape == (2 * LOOP_SAMPLES,)
            pairs.append((clip.clip, *ds.loop_audio([group.source_id, clip.target_id])))
            written.append(audio)
    expected = render_clips(pairs, repetitions=2)  # all clips of the test levelled together
    for audio, clip in zip(written, expected.clips, strict=True):
        np.testing.assert_allclose(audio, clip, atol=1.5 / 32768)
    loudness = [pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(audio) for audio in written]
    assert max(loudness) - min(loudness) <= 1.0 and loudness[0] == pytest.approx(expected.target_lufs, abs=0.1)
    assert any(note.startswith(f"clips levelled to {expected.target_lufs:.1f} LUFS") for note in manifest.notes)
    page = (listening_stimuli / "questionnaire" / "stimuli.js").read_text()
    assert page.startswith("window.NLC_STIMULI = ") and '"../g01/g01_c1.wav"' in page
    assert (listening_stimuli / "questionnaire" / "index.html").is_file()


def test_webmushra_configs_beside_the_stimuli(listening_stimuli):
    manifest = load_manifest(listening_stimuli)
    for group in manifest.groups:
        config = yaml.safe_load((listening_stimuli / "webmushra" / f"{group.group}.yaml").read_text())
        likert = [p for p in config["pages"] if p["type"] == "likert_multi_stimulus"]
        assert len(likert) == 6
        assert set(likert[0]["stimuli"]) == {c.clip for c in group.clips}


def test_same_seed_same_stimuli_and_protocol_check(tiny_dataset, listening_results, listening_stimuli, tmp_path):
    systems = [load_system(p) for p in listening_results.values()]
    again = make_stimuli(tiny_dataset, systems, tmp_path / "again", include_original=True, seed=1, fmt="webmushra")
    assert again.model_dump(exclude={"dataset"}) == load_manifest(listening_stimuli).model_dump(exclude={"dataset"})
    for group in again.groups:
        for clip in group.clips:
            assert (tmp_path / "again" / clip.file).read_bytes() == (listening_stimuli / clip.file).read_bytes()
    other = [systems[0].__class__(**{**systems[0].__dict__, "content_hash": "f" * 64})]
    with pytest.raises(IntegrityError, match="computed on protocol ffffffffffff"):
        make_stimuli(tiny_dataset, other, tmp_path / "bad")


def test_cli_renames_systems_and_refuses_duplicates(tiny_dataset, listening_results, tmp_path, capsys):
    path = str(listening_results["loudness"])
    assert main(["listening-test", "make", "--data", str(tiny_dataset), "--results", f"cnn={path}",
                 "--out", str(tmp_path / "one"), "--groups-per-type", "1", "--repetitions", "4"]) == 0
    manifest = load_manifest(tmp_path / "one")
    assert manifest.systems == ["cnn"] and manifest.repetitions == 4 and len(manifest.groups) == 1
    assert sf.info(str(tmp_path / "one" / manifest.groups[0].clips[0].file)).frames == 4 * LOOP_SAMPLES
    assert main(["listening-test", "make", "--data", str(tiny_dataset), "--results", path, path,
                 "--out", str(tmp_path / "two")]) == 2
    assert "system names must be unique" in capsys.readouterr().err


def test_nothing_the_browser_receives_names_a_system(listening_stimuli):
    # stimuli.js used to hold {"clip": "g01_c1", ..., "system": "original"}: the answer key in the page source
    from nlc.listening_test.server import public_files
    from nlc.listening_test.webmushra import webmushra_test_id

    manifest = load_manifest(listening_stimuli)
    secrets = [*manifest.systems, *(c.target_id for g in manifest.groups for c in g.clips),
               *(g.source_id for g in manifest.groups), '"system"']
    served = public_files(listening_stimuli, manifest)
    assert "/questionnaire/stimuli.js" in served
    pages = [p for p in served.values() if p.suffix != ".wav"]
    pages += sorted((listening_stimuli / "webmushra").glob("*.yaml"))  # webMUSHRA serves its configs
    for path in pages:
        text = path.read_text()
        assert not [s for s in secrets if s in text], path
    page = (listening_stimuli / "questionnaire" / "stimuli.js").read_text()
    assert all(f'"clip": "{c.clip}"' in page for g in manifest.groups for c in g.clips)
    assert manifest.run_id and webmushra_test_id(manifest) == f"nlc_listening_{manifest.run_id}"
