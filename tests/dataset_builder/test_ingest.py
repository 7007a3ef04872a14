"""Ingest: FMA's tracks.csv as published, Hip-Hop selection, licenses, audio folders, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nlc.dataset_builder.fma_metadata import audio_path, write_tracks_csv
from nlc.dataset_builder.build.ingest import ingest
from nlc.errors import InputError


def _row(genres, license_raw, title="t", artist="a", duration=30.0):
    return {("track", "genres_all"): genres, ("track", "genres"): genres, ("track", "genre_top"): "Hip-Hop",
            ("track", "license"): license_raw, ("track", "title"): title, ("artist", "name"): artist,
            ("track", "duration"): duration}


def _wav(path: Path, seconds: float = 1.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(int(44100 * seconds), np.float32), 44100)


@pytest.fixture()
def fma_corpus(tmp_path: Path) -> Path:
    rows = {
        2: _row([21], "Attribution-Noncommercial-Share Alike 3.0 United States", "Whole", "MC One", 200.0),
        5: _row([21, 811], "CC0 1.0 Universal", "Clip only"),           # sub-genre of Hip-Hop, fma_large clip
        10: _row([12], "Attribution 4.0 International", "Rock song"),   # not Hip-Hop
        11: _row([21], "FMA-Limited: Download Only", "Limited"),        # non-CC: left out, counted
        12: _row([21], "FMA-Limited: Download Only", "Limited 2"),
        20: _row([21], "Attribution 3.0 Germany", "Empty"),            # empty file
        21: _row([21], "Attribution-NonCommercial-NoDerivatives (aka Music Sharing) 3.0 International", "Gone"),
        140: _row([21, 100], "Public Domain Mark 1.0", "Both", "Dup"),  # in fma_full and fma_large
    }
    write_tracks_csv(tmp_path / "fma_metadata" / "tracks.csv", rows)
    _wav(audio_path(tmp_path, 2, subset="full", ext="mp3").with_suffix(".wav"))
    _wav(audio_path(tmp_path, 5, subset="large", ext="wav"))
    _wav(audio_path(tmp_path, 10, subset="full", ext="wav"))
    empty = audio_path(tmp_path, 20, subset="full", ext="mp3")
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_bytes(b"")
    _wav(audio_path(tmp_path, 140, subset="full", ext="wav"))
    _wav(audio_path(tmp_path, 140, subset="large", ext="wav"))
    return tmp_path


def test_selects_hiphop_with_cc_license_and_audio(fma_corpus: Path) -> None:
    result = ingest(fma_corpus)
    songs = result.songs.set_index("song_id")
    assert list(songs.index) == ["000002", "000005", "000140"]
    assert songs.loc["000002", "license"] == "cc-by-nc-sa"
    assert songs.loc["000002", "license_raw"] == "Attribution-Noncommercial-Share Alike 3.0 United States"
    assert songs.loc["000002", "artist"] == "MC One" and songs.loc["000002", "duration"] == 200.0
    assert songs.loc["000005", "subset"] == "large" and songs.loc["000005", "license"] == "cc0"
    assert songs.loc["000140", "subset"] == "full"  # whole song preferred over the clip
    assert Path(songs.loc["000140", "audio_path"]).parent.parent.name == "fma_full"


def test_report_counts_everything_left_out(fma_corpus: Path) -> None:
    report = ingest(fma_corpus).report()
    assert report["tracks_in_metadata"] == 8 and report["tracks_in_genre"] == 7
    assert report["licenses_left_out"] == {"FMA-Limited: Download Only": 2}
    assert report["left_out_license"] == 2
    assert report["skipped_input"] == {"000020": "fma_full/000/000020.mp3: empty file",
                                       "000021": "no audio file in fma_full/, fma_large/"}
    assert report["songs_to_process"] == 3 and report["songs_by_subset"] == {"full": 2, "large": 1}


def test_genre_filter_can_be_lifted(fma_corpus: Path) -> None:
    assert "000010" in set(ingest(fma_corpus, genre_id=None).songs["song_id"])
    assert ingest(fma_corpus, genre_id=811).songs["song_id"].tolist() == ["000005"]


def test_missing_corpus_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        ingest(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="tracks.csv"):
        ingest(tmp_path / "empty")


@pytest.mark.parametrize("license_raw", ["same", "CC0 1.0 Universal"])
def test_a_track_listed_twice_is_one_line_at_ingest(fma_corpus: Path, license_raw: str) -> None:
    """A repeated track id, identical or with a conflicting license, stops the build before any song runs."""
    csv = fma_corpus / "fma_metadata" / "tracks.csv"
    lines = csv.read_text().splitlines(keepends=True)
    row = next(line for line in lines if line.startswith("2,"))
    extra = row if license_raw == "same" else row.replace("Attribution-Noncommercial-Share Alike 3.0 United States",
                                                           license_raw)
    csv.write_text("".join(lines) + extra + next(line for line in lines if line.startswith("140,")))
    with pytest.raises(InputError, match=r"tracks\.csv: track row \d+, column .track_id.: track 2 already on track row"):
        ingest(fma_corpus)
