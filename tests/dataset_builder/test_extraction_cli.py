import json

import numpy as np
import soundfile as sf
from extraction_songs import make_song

from nlc.cli import main


def test_extract_command_skips_bad_songs_and_resumes(tmp_path, capsys):
    good = tmp_path / "000007.wav"
    sf.write(good, make_song(tempo=120.0, seed=7).audio, 44_100)
    bad = tmp_path / "000008.wav"
    sf.write(bad, np.zeros(44_100 * 10, np.float32), 44_100)
    out = tmp_path / "out"
    rc = main(["extract", str(good), str(bad), "--out", str(out), "--n-iter", "30"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "000008.wav" in err and "silent" in err and "Traceback" not in err
    report = json.loads((out / "extraction_report.json").read_text())
    assert set(report["done"]) == {"000007"} and set(report["failed"]) == {"000008"}
    assert (out / "000007" / "summary.json").exists() and not (out / "000008").exists()
    stamp = (out / "000007" / "summary.json").stat().st_mtime_ns
    assert main(["extract", str(good), "--out", str(out)]) == 0  # resume: already there
    assert (out / "000007" / "summary.json").stat().st_mtime_ns == stamp


def test_extract_help_lists_defaults(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    text = capsys.readouterr().out
    assert "--variant" in text and "default: 0" in text


def test_an_unknown_beat_tracker_is_refused_in_one_line(tmp_path, capsys):
    import pytest

    from nlc.dataset_builder.extraction import ExtractionConfig
    from nlc.errors import InputError

    with pytest.raises(InputError, match="beat_tracker: unknown 'madmom'"):
        ExtractionConfig(beat_tracker="madmom")  # type: ignore[arg-type]
    with pytest.raises(SystemExit):
        main(["extract", str(tmp_path / "song.wav"), "--out", str(tmp_path / "out"), "--beat-tracker", "madmom"])
    assert "invalid choice: 'madmom'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
