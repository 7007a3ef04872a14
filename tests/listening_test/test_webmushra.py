"""webMUSHRA bridge: the YAML config we write and the lms.csv webMUSHRA writes back."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from nlc.cli import main
from nlc.errors import InputError
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.responses import validate
from nlc.listening_test.webmushra import lms_to_long, write_configs

DATA = Path(__file__).resolve().parents[1] / "data"
MANIFEST = DATA / "listening_manifest.json"
LMS = DATA / "listening_webmushra_lms.csv"


def test_config_has_one_likert_page_per_question(tmp_path):
    manifest = load_manifest(MANIFEST)
    paths = write_configs(manifest, tmp_path, resource_prefix="configs/resources/nlc")
    assert [p.name for p in paths] == ["g01.yaml", "g02.yaml"]
    config = yaml.safe_load(paths[0].read_text())
    likert = [p for p in config["pages"] if p["type"] == "likert_multi_stimulus"]
    assert [p["id"] for p in likert] == [f"g01__{q}" for q in
                                         ("matched", "innovative", "usable", "rhythm", "harmony", "timbre")]
    assert likert[0]["stimuli"] == {"g01_c1": "configs/resources/nlc/g01/g01_c1.wav",
                                    "g01_c2": "configs/resources/nlc/g01/g01_c2.wav",
                                    "g01_c3": "configs/resources/nlc/g01/g01_c3.wav"}
    assert [r["value"] for r in likert[0]["response"]] == ["1", "2", "3", "4", "5"]
    assert config["pages"][-1]["type"] == "finish" and config["pages"][-1]["writeResults"] is True
    # blind: no system name anywhere in what the participant's browser receives
    text = paths[0].read_text()
    assert not any(system in text for system in ("cnn", "snn", "original"))


def test_lms_csv_converts_to_long_format():
    manifest = load_manifest(MANIFEST)
    long = lms_to_long(LMS, manifest)
    with LMS.open(newline="") as handle:
        raw = list(csv.DictReader(handle))
    assert len(long) == len(raw) == 4 * 6 * 3
    # sessions told apart without a participant column: 4 participants, 18 answers each
    assert long["participant"].value_counts().tolist() == [18, 18, 18, 18]
    systems = {c.clip: c.system for g in manifest.groups for c in g.clips}
    for row, src in zip(long.itertuples(), raw, strict=True):
        assert row.system == systems[src["stimuli"]]
        assert row.rating == src["stimuli_rating"].strip()
        assert row.question == src["trial_id"].split("__")[1]
    responses = validate(long, source=str(LMS))
    assert set(responses.data["source_type"]) == {"drum", "melody"} and responses.dropped == []


def test_lms_participant_column_and_errors(tmp_path):
    manifest = load_manifest(MANIFEST)
    by_email = lms_to_long(LMS, manifest, participant_column="email")
    assert sorted(by_email["participant"].unique()) == [f"nlc_listening:{e}@x" for e in "abcd"]
    lines = LMS.read_text().splitlines()
    bad = tmp_path / "lms.csv"
    bad.write_text("\n".join([lines[0], lines[1].replace("g01_c3", "g09_c1")]) + "\n")
    with pytest.raises(InputError, match=r"line 2, column 'stimuli': clip 'g09_c1' not in the manifest"):
        lms_to_long(bad, manifest)
    bad.write_text("\n".join([lines[0], lines[1].replace("g01__matched", "g01_matched")]) + "\n")
    with pytest.raises(InputError, match=r"line 2, column 'trial_id': 'g01_matched' is not <group>__<question>"):
        lms_to_long(bad, manifest)
    bad.write_text("\n".join([lines[0], lines[1].replace('" 1 "', '" 6 "')]) + "\n")
    with pytest.raises(InputError, match=r"line 2, column 'rating': rating 6 out of range 1-5"):
        validate(lms_to_long(bad, manifest), source=str(bad))


def test_stats_cli_reads_webmushra(capsys):
    assert main(["stats", str(LMS), "--format", "webmushra", "--manifest", str(MANIFEST)]) == 0
    out = capsys.readouterr().out
    assert "4 participant(s), 2 group(s), 72 answers, systems: cnn, original, snn." in out
