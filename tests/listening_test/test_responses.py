"""Malformed responses CSVs are rejected with the line and column named."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlc.cli import main
from nlc.errors import InputError
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.responses import load_responses

DATA = Path(__file__).resolve().parents[1] / "data" / "listening_responses.csv"
HEADER = "participant,group,source_type,system,question,rating"


def _lines() -> list[str]:
    return DATA.read_text().splitlines()


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "responses.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _replace(tmp_path: Path, line_no: int, column: int, value: str) -> Path:
    lines = _lines()
    cells = lines[line_no - 1].split(",")
    cells[column] = value
    lines[line_no - 1] = ",".join(cells)
    return _write(tmp_path, lines)


def test_good_file_loads_with_integer_ratings():
    responses = load_responses(DATA)
    assert len(responses.data) == len(_lines()) - 1
    assert responses.data["rating"].dtype.kind == "i"
    assert responses.incomplete == {} and responses.dropped == []


@pytest.mark.parametrize(
    ("line", "column", "value", "message"),
    [
        (5, 5, "7", "line 5, column 'rating': rating 7 out of range 1-5"),
        (6, 5, "0", "line 6, column 'rating': rating 0 out of range 1-5"),
        (7, 5, "3.5", "line 7, column 'rating': '3.5' is not an integer rating 1-5"),
        (8, 5, "", "line 8, column 'rating': empty value"),
        (9, 2, "bass", "line 9, column 'source_type': unknown value 'bass'"),
        (10, 4, "melody", "line 10, column 'question': unknown value 'melody'"),
        (11, 0, "", "line 11, column 'participant': empty value"),
    ],
)
def test_bad_cells_name_line_and_column(tmp_path, line, column, value, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_responses(_replace(tmp_path, line, column, value))


def test_unknown_system_against_a_given_list(tmp_path):
    path = _replace(tmp_path, 4, 3, "cnn_v2")
    load_responses(path)  # no list given: any system name is fine (but p01 is now incomplete)
    with pytest.raises(InputError, match=r"line 4, column 'system': unknown value 'cnn_v2', expected one of cnn, snn"):
        load_responses(path, systems=["cnn", "snn", "amu", "original"])


def test_header_must_be_exact(tmp_path):
    lines = _lines()
    with pytest.raises(InputError, match=r"line 1: missing column\(s\) 'rating'; unexpected column\(s\) 'score'"):
        load_responses(_write(tmp_path, [HEADER.replace("rating", "score"), *lines[1:]]))
    with pytest.raises(InputError, match=r"line 1: unexpected column\(s\) 'age'"):
        load_responses(_write(tmp_path, [HEADER + ",age", *[line + ",30" for line in lines[1:]]]))
    with pytest.raises(InputError, match="empty file"):
        load_responses(_write(tmp_path, []))
    with pytest.raises(InputError, match="no answers after the header"):
        load_responses(_write(tmp_path, [HEADER]))
    with pytest.raises(InputError, match="line 3: 5 fields, the header has 6"):
        load_responses(_write(tmp_path, [HEADER, lines[1], "p01,g02,vocal,cnn,matched"]))


def test_duplicate_answer_names_both_lines(tmp_path):
    lines = _lines()
    path = _write(tmp_path, [*lines, lines[3].replace(",4", ",2")])
    with pytest.raises(InputError, match=rf"line {len(lines) + 1}, column 'rating': duplicate answer of participant "
                                         r"'p01' for group 'g02', system 'cnn', question 'usable' \(first given on line 4\)"):
        load_responses(path)


def test_group_with_two_source_types_is_rejected(tmp_path):
    path = _replace(tmp_path, 2, 2, "drum")  # p01's first answer says g02 is drum, the rest say vocal
    with pytest.raises(InputError, match=r"line 3, column 'source_type': group 'g02' is 'vocal' here but 'drum' on line 2"):
        load_responses(path)


def test_missing_answers_are_reported_and_dropped_or_kept(tmp_path):
    lines = _lines()
    gone = [i for i, line in enumerate(lines) if line.startswith("p02,") and ",snn,harmony," in line]
    path = _write(tmp_path, [line for i, line in enumerate(lines) if i not in gone])
    dropped = load_responses(path)
    assert dropped.incomplete == {"p02": ["g03/snn/harmony"]}
    assert dropped.dropped == ["p02"] and "p02" not in set(dropped.data["participant"])
    kept = load_responses(path, incomplete="keep")
    assert kept.dropped == [] and len(kept.data) == len(lines) - 2


def test_cli_reports_missing_answers_and_errors(tmp_path, capsys):
    lines = _lines()
    path = _write(tmp_path, [line for line in lines if not (line.startswith("p05,") and ",timbre," in line)])
    assert main(["stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "12 participant(s)" in out and "Participants with missing answers (left out of every statistic" in out
    assert main(["stats", str(_replace(tmp_path, 5, 5, "9"))]) == 2
    assert "line 5, column 'rating': rating 9 out of range 1-5" in capsys.readouterr().err


def _latin1(tmp_path: Path) -> Path:
    path = tmp_path / "excel.csv"
    path.write_bytes(DATA.read_text().replace("p01,", "Zoé,").encode("latin-1"))  # é is byte 0xe9
    return path


def test_latin1_csv_is_read_as_cp1252_with_a_note(tmp_path, capsys):
    path = _latin1(tmp_path)
    notes = []
    responses = load_responses(path, notes=notes)
    assert "Zoé" in set(responses.data["participant"]) and len(responses.data) == len(_lines()) - 1
    assert notes == [f"{path} is not UTF-8 (byte 0xe9 at offset 55); read as Windows-1252 (cp1252)"]
    assert main(["stats", str(path)]) == 0
    captured = capsys.readouterr()
    assert "13 participant(s)" in captured.out
    assert captured.err == f"warning: {notes[0]}\n"


def test_utf8_with_bom_is_read_without_a_note(tmp_path, capsys):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + DATA.read_text().replace("p01,", "Zoé,").encode("utf-8"))
    notes = []
    assert "Zoé" in set(load_responses(path, notes=notes).data["participant"]) and notes == []
    assert main(["stats", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_csv_in_no_known_encoding_is_one_line_with_the_offset(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(_latin1(tmp_path).read_bytes().replace(b"\xe9", b"\x81"))  # 0x81: undefined in cp1252
    assert main(["stats", str(path)]) == 2
    assert capsys.readouterr().err == (f"nlc-bench: error: {path}: not UTF-8 (byte 0x81 at offset 55) nor Windows-1252 "
                                       "(byte 0x81 at offset 55); save it as UTF-8 CSV\n")


def _clip_answers(tmp_path: Path) -> tuple[Path, Path]:
    """The hand-made answers as the blind page writes them (clip ids), and a manifest mapping them back."""
    import csv
    import json

    from nlc.listening_test.manifest import Clip, Group, Manifest, save_manifest

    with DATA.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    groups: dict[str, tuple[str, list[str]]] = {}
    for r in rows:
        source_type, systems = groups.setdefault(r["group"], (r["source_type"], []))
        if r["system"] not in systems:
            systems.append(r["system"])
    clip_of = {}
    manifest_groups = []
    for group, (source_type, systems) in sorted(groups.items()):
        clips = []
        for k, system in enumerate(sorted(systems, reverse=True), start=1):  # clip order is not system order
            clip_of[group, system] = f"{group}_c{k}"
            clips.append(Clip(clip=f"{group}_c{k}", file=f"{group}/{group}_c{k}.wav", system=system, target_id=f"t{k}"))
        manifest_groups.append(Group(group=group, source_type=source_type, source_id=f"s_{group}", source_role="drum",
                                     clips=clips))
    manifest = Manifest(seed=0, repetitions=2, sample_rate=44100, groups=manifest_groups,
                        systems=sorted({r["system"] for r in rows}))
    save_manifest(manifest, tmp_path)
    path = tmp_path / "clips.csv"
    lines = ["participant,group,source_type,clip,question,rating"]
    lines += [",".join([r["participant"], r["group"], r["source_type"], clip_of[r["group"], r["system"]],
                        r["question"], r["rating"]]) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    assert not any(json.dumps(s) in path.read_text() for s in manifest.systems)
    return path, tmp_path / "manifest.json"


def test_clip_ids_map_to_systems_through_the_manifest(tmp_path, capsys):
    import json

    path, manifest = _clip_answers(tmp_path)
    assert main(["stats", str(path), "--manifest", str(manifest), "--json", str(tmp_path / "clips.json")]) == 0
    assert main(["stats", str(DATA), "--json", str(tmp_path / "systems.json")]) == 0  # the old format still reads
    capsys.readouterr()
    by_clip, by_system = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("clips", "systems"))
    assert {k: v for k, v in by_clip.items() if k != "source"} == {k: v for k, v in by_system.items() if k != "source"}
    assert main(["stats", str(path)]) == 2  # clip ids without the answer key
    assert capsys.readouterr().err == (f"nlc-bench: error: {path} line 1: the answers name clips ('clip' column), not "
                                       "systems: give the manifest.json of `listening-test make` (stats --manifest) "
                                       "to map clips to systems\n")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace(",g02,vocal,g02_c1,", ",g02,vocal,g02_c9,", 1), r"line \d+, column 'clip': clip 'g02_c9' not in the manifest"),
        (lambda t: t.replace(",g02,vocal,g02_c1,", ",g01,vocal,g02_c1,", 1), r"line \d+, column 'group': clip 'g02_c1' belongs to group 'g02', not 'g01'"),
        (lambda t: t.replace(",g02,vocal,g02_c1,", ",g02,drum,g02_c1,", 1), r"line \d+, column 'source_type': group 'g02' is 'vocal' in the manifest, not 'drum'"),
    ],
    ids=["unknown-clip", "wrong-group", "wrong-source-type"],
)
def test_clip_ids_that_do_not_fit_the_manifest_are_refused(tmp_path, edit, message):
    path, manifest = _clip_answers(tmp_path)
    path.write_text(edit(path.read_text()))
    with pytest.raises(InputError, match=message):
        load_responses(path, manifest=load_manifest(manifest))


def test_manifest_of_another_run_with_more_clips_is_refused(tmp_path, capsys):
    path, manifest_path = _clip_answers(tmp_path)
    manifest = load_manifest(manifest_path)
    extra = manifest.groups[0].clips[0].model_copy(update={"clip": "g01_c5", "file": "g01/g01_c5.wav"})
    manifest.groups[0].clips.append(extra)
    manifest_path.write_text(manifest.model_dump_json())
    assert main(["stats", str(path), "--manifest", str(manifest_path)]) == 2
    assert capsys.readouterr().err == (f"nlc-bench: error: {path}: the manifest has clip 'g01_c5' in group 'g01' but no "
                                       "answer rates it (5 clips in the manifest's group, 4 in the answers): is it the "
                                       "manifest of another `listening-test make` run?\n")
