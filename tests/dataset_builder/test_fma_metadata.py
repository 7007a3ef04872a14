"""FMA-shaped tracks.csv: FMA's header, list columns, round trip through pandas."""

from __future__ import annotations

import ast

import pandas as pd
import pytest

from nlc.dataset_builder import fma_metadata as fm
from nlc.errors import InputError

# FMA's published header of fma_metadata/tracks.csv, spelled out column by column.
FMA_TOP = (["album"] * 13 + ["artist"] * 17 + ["set"] * 2 + ["track"] * 20)
FMA_NAMES = [
    "comments", "date_created", "date_released", "engineer", "favorites", "id", "information", "listens",
    "producer", "tags", "title", "tracks", "type",
    "active_year_begin", "active_year_end", "associated_labels", "bio", "comments", "date_created",
    "favorites", "id", "latitude", "location", "longitude", "members", "name", "related_projects", "tags",
    "website", "wikipedia_page",
    "split", "subset",
    "bit_rate", "comments", "composer", "date_created", "date_recorded", "duration", "favorites",
    "genre_top", "genres", "genres_all", "information", "interest", "language_code", "license", "listens",
    "lyricist", "number", "publisher", "tags", "title",
]
# An FMA-style Hip-Hop row (track 2 of FMA, abridged free-text fields).
FMA_ROW = (
    '2,0,2008-11-26 01:44:45,2009-01-05 00:00:00,,4,1,<p></p>,6073,,[],AWOL - A Way Of Life,7,Album,'
    '2006-01-01 00:00:00,,,"<p>A Way Of Life, A Collective of Hip-Hop from Richmond, VA.</p>",0,'
    '2008-11-26 01:42:32,9,1,40.0583238,New Jersey,-74.4056612,"Sajje Morocco,Brownbum,",AWOL,,'
    "['awol'],http://www.example.org,,training,small,256000,0,,2008-11-26 01:48:12,2008-11-26 00:00:00,"
    '168,2,Hip-Hop,[21],[21],,4656,en,'
    'Attribution-NonCommercial-NoDerivatives (aka Music Sharing) 3.0 International,1293,,3,,[],Food'
)


def fma_csv(tmp_path):
    path = tmp_path / "fma_metadata" / "tracks.csv"
    path.parent.mkdir(parents=True)
    lines = ["," + ",".join(FMA_TOP), "," + ",".join(FMA_NAMES), "track_id" + "," * len(FMA_NAMES), FMA_ROW]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_columns_are_fmas():
    assert [c for c in fm.COLUMNS] == list(zip(FMA_TOP, FMA_NAMES))
    assert len(fm.COLUMNS) == 52


def test_read_fma_file_parses_like_fma_utils_load(tmp_path):
    df = fm.read_tracks_csv(fma_csv(tmp_path))
    assert df.columns.nlevels == 2 and df.index.name == "track_id"
    assert df.loc[2, ("track", "genres")] == [fm.HIPHOP_GENRE_ID]
    assert df.loc[2, ("track", "genres_all")] == [21]
    assert df.loc[2, ("artist", "tags")] == ["awol"]
    assert df.loc[2, ("track", "genre_top")] == "Hip-Hop"
    assert df.loc[2, ("artist", "name")] == "AWOL"
    assert df.loc[2, ("track", "duration")] == 168
    assert isinstance(df[("set", "subset")].dtype, pd.CategoricalDtype) and df[("set", "subset")].cat.ordered
    assert df.loc[2, ("track", "date_created")] == pd.Timestamp("2008-11-26 01:48:12")
    assert list(fm.iter_track_ids(df, genre_id=21)) == [2]


def test_round_trip_keeps_fmas_header_and_values(tmp_path):
    src = fma_csv(tmp_path)
    df = fm.read_tracks_csv(src)
    out = fm.write_tracks_csv(tmp_path / "copy" / "tracks.csv", df)
    assert out.read_text().splitlines()[:3] == src.read_text().splitlines()[:3]
    again = fm.read_tracks_csv(out)
    pd.testing.assert_frame_equal(df, again)
    # plain pandas (FMA's own reader) sees the list literals FMA writes
    raw = pd.read_csv(out, index_col=0, header=[0, 1])
    assert raw.loc[2, ("track", "genres")] == "[21]"
    assert ast.literal_eval(raw.loc[2, ("track", "genres_all")]) == [21]


def test_write_rows_and_read_back(tmp_path):
    rows = {
        7: {("track", "title"): "A, B", ("track", "license"): "Attribution 4.0 International",
            ("track", "genre_top"): "Hip-Hop", ("track", "genres"): [21], ("track", "genres_all"): [21],
            ("artist", "name"): "X", ("set", "subset"): "large", ("track", "duration"): 31},
        3: {("track", "title"): "C", ("track", "license"): "FMA-Limited: Download Only",
            ("track", "genre_top"): "Hip-Hop", ("track", "genres"): [21, 100], ("artist", "name"): "Y"},
    }
    path = fm.write_tracks_csv(tmp_path / "tracks.csv", rows)
    df = fm.read_tracks_csv(path)
    assert list(df.index) == [3, 7]
    assert df.loc[7, ("track", "title")] == "A, B"
    assert df.loc[3, ("track", "genres")] == [21, 100]
    assert df.loc[3, ("track", "genres_all")] == []  # empty list column reads as []
    assert df.loc[7, ("set", "subset")] == "large"


def test_unknown_column_rejected(tmp_path):
    with pytest.raises(InputError, match="not FMA tracks.csv columns"):
        fm.write_tracks_csv(tmp_path / "t.csv", {1: {("track", "bpm"): 90}})


def test_bad_files_name_the_culprit(tmp_path):
    with pytest.raises(InputError, match="no such"):
        fm.read_tracks_csv(tmp_path / "missing.csv")
    flat = tmp_path / "flat.csv"
    flat.write_text("track_id,title\n1,a\n")
    with pytest.raises(InputError, match="flat.csv"):
        fm.read_tracks_csv(flat)
    bad = fma_csv(tmp_path)
    bad.write_text(bad.read_text().replace(",[21],[21],", ",[21,[21],"))
    with pytest.raises(InputError, match=r"track 2, column \('track', 'genres'\)"):
        fm.read_tracks_csv(bad)


def test_audio_path(tmp_path):
    assert fm.audio_path(tmp_path, 42) == tmp_path / "fma_full" / "000" / "000042.mp3"
    assert fm.audio_path(tmp_path, 123456, subset="small", ext="wav") == tmp_path / "fma_small/123/123456.wav"
    wav = tmp_path / "fma_full" / "001" / "001234.wav"
    wav.parent.mkdir(parents=True)
    wav.write_bytes(b"x")
    assert fm.audio_path(tmp_path, 1234) == wav  # finds whichever format exists
    with pytest.raises(InputError):
        fm.audio_path(tmp_path, 1_000_000)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("\n2,0,", "\nabc,0,"),
         r"tracks\.csv: track row 1, column 'track_id': 'abc' is not a track id \(an integer 0\.\.999999\)"),
        (lambda t: t.replace("\n2,0,", "\n-5,0,"), r"track row 1, column 'track_id': '-5' is not a track id"),
        (lambda t: t + FMA_ROW.replace("2,0,", "7,0,", 1) + "\n" + FMA_ROW + "\n",
         r"track row 3, column 'track_id': track 2 already on track row 1"),
        (lambda t: t.replace(",168,2,Hip-Hop", ",74s,2,Hip-Hop"),
         r"tracks\.csv: track 2, column \('track', 'duration'\): not a number: '74s'"),
        (lambda t: t.replace(FMA_ROW + "\n", ""), r"tracks\.csv: no track rows after FMA's three header rows"),
    ],
    ids=["id-abc", "id-negative", "id-twice", "duration-74s", "header-only"],
)
def test_bad_track_ids_numbers_and_empty_file_name_file_track_and_column(tmp_path, edit, message):
    path = fma_csv(tmp_path)
    path.write_text(edit(path.read_text()))
    with pytest.raises(InputError, match=message):
        fm.read_tracks_csv(path)


def test_numeric_columns_read_as_numbers(tmp_path):
    path = fma_csv(tmp_path)
    path.write_text(path.read_text().replace(",168,2,Hip-Hop", ",,2,Hip-Hop"))  # an empty duration is missing
    df = fm.read_tracks_csv(path)
    assert df.index.dtype == "int64" and pd.isna(df.loc[2, ("track", "duration")])
    assert all(pd.api.types.is_numeric_dtype(df[c]) for c in fm.NUMERIC_COLUMNS)


def test_bad_tracks_csv_is_one_cli_line(tmp_path, capsys):
    from nlc.cli import main

    path = fma_csv(tmp_path)
    path.write_text(path.read_text().replace(",168,2,Hip-Hop", ",74s,2,Hip-Hop"))
    assert main(["dataset", "build", str(tmp_path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err == f"nlc-bench: error: {path}: track 2, column ('track', 'duration'): not a number: '74s'\n"
