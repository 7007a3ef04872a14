"""Malformed responses CSVs are rejected with the line and column named."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlc.cli import main
from nlc.errors import InputError
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
