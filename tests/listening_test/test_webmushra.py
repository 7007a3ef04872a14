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
    # a rating unlocks once its clip has played to its end: webMUSHRA compares the player's event
    # name with mustPlayback, so it must be the string "ended" (true would never unlock), as on our page
    assert all(p["mustPlayback"] == "ended" and p["mustRate"] is True for p in likert)
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
    bad.write_text("\n".join([lines[0], lines[1].replace('" 1 "', '" 6 "'), *lines[2:4]]) + "\n")  # a whole page
    with pytest.raises(InputError, match=r"line 2, column 'rating': rating 6 out of range 1-5"):
        validate(lms_to_long(bad, manifest), source=str(bad))


def test_stats_cli_reads_webmushra(capsys):
    assert main(["stats", str(LMS), "--format", "webmushra", "--manifest", str(MANIFEST)]) == 0
    out = capsys.readouterr().out
    assert "4 participant(s), 2 group(s), 72 answers, systems: cnn, original, snn." in out


def _lms(tmp_path, lines, name="lms.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _without_fields(lines):
    """The export without finish-page fields: sessions are told apart by blocks only."""
    return [",".join(cell for i, cell in enumerate(line.split(",")) if i not in (1, 2)) for line in lines]


SESSION_MODES = {  # how participants are told apart -> (extra stats arguments, participant a, lines transform)
    "email-column": (["--participant-column", "email"], "nlc_listening:a@x", list),
    "blocks-with-fields": ([], "nlc_listening:session0001", list),
    "blocks-only": ([], "nlc_listening:session0001", _without_fields),
}


@pytest.mark.parametrize("mode", SESSION_MODES)
@pytest.mark.parametrize("at", [5, 19], ids=["mid-session", "last-row-of-session"])
def test_exact_duplicate_row_is_dropped_with_a_warning(tmp_path, capsys, mode, at):
    # one row written twice used to split the session in two, both halves dropped as incomplete
    extra, who, transform = SESSION_MODES[mode]
    lines = transform(LMS.read_text().splitlines())
    path = _lms(tmp_path, [*lines[:at], lines[at - 1], *lines[at:]])
    assert main(["stats", str(path), "--format", "webmushra", "--manifest", str(MANIFEST), *extra]) == 0
    captured = capsys.readouterr()
    assert "4 participant(s), 2 group(s), 72 answers, systems: cnn, original, snn." in captured.out
    trial, rating, clip = (("g01__innovative", "1", "g01_c3") if at == 5 else ("g01__timbre", "5", "g01_c2"))
    assert captured.err == (f"warning: {path} line {at + 1} repeats line {at} (participant {who}, page {trial}, "
                            f"clip {clip}, rating {rating}): dropped\n")


@pytest.mark.parametrize("mode", SESSION_MODES)
def test_conflicting_duplicate_is_refused_naming_both_lines(tmp_path, capsys, mode):
    extra, who, transform = SESSION_MODES[mode]
    lines = transform(LMS.read_text().splitlines())
    path = _lms(tmp_path, [*lines[:5], lines[4].replace('" 1 "', '" 3 "'), *lines[5:]])
    assert main(["stats", str(path), "--format", "webmushra", "--manifest", str(MANIFEST), *extra]) == 2
    assert capsys.readouterr().err == (f"nlc-bench: error: {path} line 6, column 'stimuli_rating': participant {who} "
                                       "rated clip g01_c3 on page g01__innovative 3 here but 1 on line 5; remove the "
                                       "wrong row\n")


def test_sessions_without_fields_still_split_where_a_complete_session_ends(tmp_path):
    long = lms_to_long(_lms(tmp_path, _without_fields(LMS.read_text().splitlines())), load_manifest(MANIFEST), notes=[])
    assert long["participant"].value_counts().tolist() == [18, 18, 18, 18]


def test_manifest_with_clips_the_export_never_rates_is_refused(tmp_path, capsys):
    manifest = load_manifest(MANIFEST)
    extra = manifest.groups[0].clips[0].model_copy(update={"clip": "g01_c4", "file": "g01/g01_c4.wav"})
    manifest.groups[0].clips.append(extra)  # a make run with one more system
    path = tmp_path / "manifest.json"
    path.write_text(manifest.model_dump_json())
    assert main(["stats", str(LMS), "--format", "webmushra", "--manifest", str(path)]) == 2
    assert capsys.readouterr().err == (f"nlc-bench: error: {LMS}: the manifest has clip 'g01_c4' in group 'g01' but no "
                                       "answer rates it (4 clips in the manifest's group, 3 in the answers): is it the "
                                       "manifest of another `listening-test make` run?\n")


def test_manifest_of_another_make_run_is_refused_by_its_run_id(listening_stimuli, tmp_path, capsys):
    # same groups, same clip ids, another answer key: only the run id tells them apart
    from nlc.listening_test.manifest import run_id_of
    from nlc.listening_test.webmushra import webmushra_test_id

    manifest = load_manifest(listening_stimuli)
    config = yaml.safe_load((listening_stimuli / "webmushra" / "g01.yaml").read_text())
    assert config["testId"] == webmushra_test_id(manifest) == f"nlc_listening_{manifest.run_id}"
    clips = [c.clip for c in manifest.groups[0].clips]
    rows = ["session_test_id,trial_id,stimuli_rating,stimuli,rating_time"]
    rows += [f"{config['testId']},g01__{q},{1 + k},{c},1000" for q in ("matched", "innovative", "usable", "rhythm",
             "harmony", "timbre") for k, c in enumerate(clips)]
    lms = _lms(tmp_path, rows)
    assert main(["stats", str(lms), "--format", "webmushra", "--manifest", str(listening_stimuli)]) == 0
    capsys.readouterr()
    other = manifest.model_copy(deep=True)
    first, second = other.groups[0].clips[:2]
    first.system, second.system = second.system, first.system
    other.run_id = run_id_of(other)
    assert other.run_id != manifest.run_id
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text(other.model_dump_json())
    assert main(["stats", str(lms), "--format", "webmushra", "--manifest", str(tmp_path / "other")]) == 2
    assert capsys.readouterr().err == (
        f"nlc-bench: error: {lms} line 2, column 'session_test_id': test 'nlc_listening_{manifest.run_id}', but the "
        f"manifest's configs are test 'nlc_listening_{other.run_id}': is it the manifest of another "
        "`listening-test make` run?\n")


def test_latin1_lms_csv_is_read_with_a_warning(tmp_path):
    path = tmp_path / "lms.csv"
    path.write_bytes(LMS.read_text().replace("a@x", "zoé@x").encode("latin-1"))
    notes = []
    long = lms_to_long(path, load_manifest(MANIFEST), participant_column="email", notes=notes)
    assert "nlc_listening:zoé@x" in set(long["participant"]) and "read as Windows-1252 (cp1252)" in notes[0]
