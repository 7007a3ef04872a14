"""lmms corpus: project parsing, Debian licenses, and one real render of a short shortie."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nlc.dataset_builder.corpus.fma_license_strings import fma_license_from_debian
from nlc.dataset_builder.corpus.lmms_corpus import build_lmms_corpus, guess_role
from nlc.dataset_builder.corpus.lmms_project import artist_title, parse_copyright, project_license, read_project
from nlc.dataset_builder.corpus.truth import bar_activity, has_stems, read_truth
from nlc.dataset_builder.fma_metadata import audio_path, read_tracks_csv
from nlc.errors import InputError

XML = (b'<?xml version="1.0"?><lmms-project version="1.0"><head bpm="93" timesig_numerator="4" '
       b'timesig_denominator="4"/><song><trackcontainer><track name="Kick"/><track name="Bass"/>'
       b'</trackcontainer></song></lmms-project>')

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: LMMS

Files: *
Copyright: 2004 Someone
License: GPL-2+

Files: data/projects/demos/Alf42red-*
 data/projects/demos/CapDan/CapDan-TwilightArea-*
Copyright: 2010 Armin Heller
License: CC-BY-SA-3

Files: data/projects/*/Skiessi/*
Copyright: Skiessi
License: CC-BY-SA-4

Files: data/projects/shorties/Greshz-*
Copyright: Greshz
License: Artistic-2
"""


def test_mmpz_is_qcompressed_xml(tmp_path):
    mmpz = tmp_path / "Some-Song.mmpz"
    mmpz.write_bytes(struct.pack(">I", len(XML)) + zlib.compress(XML))
    mmp = tmp_path / "Some-Song.mmp"
    mmp.write_bytes(XML)
    for path in (mmpz, mmp):
        info = read_project(path)
        assert info.tempo == 93.0 and info.timesig == (4, 4) and info.tracks == ("Kick", "Bass")
    mmpz.write_bytes(struct.pack(">I", 5) + zlib.compress(XML))
    with pytest.raises(InputError, match="Some-Song.mmpz"):
        read_project(mmpz)


def test_artist_title_from_file_name():
    assert artist_title("/x/Alf42red-Mauiwowi.mmpz") == ("Alf42red", "Mauiwowi")
    assert artist_title("CapDan-ZeroSumGame-OriginalByZakarra.mmpz") == ("CapDan", "ZeroSumGame OriginalByZakarra")
    assert artist_title("DirtyLove.mmpz") == ("LMMS", "DirtyLove")


def test_debian_copyright_last_match_wins(tmp_path):
    stanzas = parse_copyright(COPYRIGHT)
    assert stanzas[1] == (("data/projects/demos/Alf42red-*", "data/projects/demos/CapDan/CapDan-TwilightArea-*"),
                          "CC-BY-SA-3")
    cfile = tmp_path / "copyright"
    cfile.write_text(COPYRIGHT)
    root = tmp_path / "projects"
    cases = {"demos/Alf42red-Mauiwowi.mmpz": ("CC-BY-SA-3", "Attribution-ShareAlike 3.0 International"),
             "demos/Skiessi/Skiessi-C64.mmpz": ("CC-BY-SA-4", "Attribution-ShareAlike 4.0 International"),
             "shorties/Greshz-CoolSnip.mmpz": ("Artistic-2", "Artistic License 2.0"),
             "shorties/DirtyLove.mmpz": ("GPL-2+", "GNU General Public License v2.0 or later")}
    for rel, expected in cases.items():
        assert project_license(root / rel, copyright_path=cfile, installed_root=root) == expected
    with pytest.raises(InputError, match="not under"):
        project_license(tmp_path / "elsewhere.mmpz", copyright_path=cfile, installed_root=root)


def test_license_names_fma_style():
    assert fma_license_from_debian("CC-BY-SA-3") == "Attribution-ShareAlike 3.0 International"
    assert fma_license_from_debian("CC-BY-SA-4.0") == "Attribution-ShareAlike 4.0 International"
    assert fma_license_from_debian("BSD-2-clause") == "BSD 2-Clause License"
    assert fma_license_from_debian("WTFPL") == "WTFPL"


def test_role_guess():
    assert guess_role("Kick 01") == "drum" and guess_role("bassdrum03.ogg") == "drum"
    assert guess_role("Sub Bass") == "bass" and guess_role("Strings") == "other"


SHORTIE = Path("/usr/share/lmms/projects/shorties/Greshz-CoolSnip.mmpz")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("lmms") is None or not SHORTIE.is_file(), reason="needs Debian's lmms + lmms-common")
def test_render_one_shortie(tmp_path):
    report = build_lmms_corpus(tmp_path, projects_dir=[str(SHORTIE)], timeout_s=120, progress=False)
    assert report["failed"] == {} and report["n_finished"] == 1
    truth = read_truth(tmp_path / "ground_truth" / "000001")
    assert truth["tempo"] == 140.0 and truth["downbeats"][0] == 0.0
    np.testing.assert_allclose(np.diff(truth["downbeats"]), 4 * 60 / 140, atol=1e-5)
    mix, sr = sf.read(audio_path(tmp_path, 1))
    assert sr == 44100 and np.abs(mix).max() > 0.01
    stems = [sf.read(tmp_path / "ground_truth" / "000001" / lp["stem"])[0].mean(axis=1) for lp in truth["loops"]]
    assert len(stems) >= 2
    starts = np.round(np.append(np.array(truth["downbeats"]) * 44100, truth["n_bars"] * 4 * 60 / 140 * 44100)).astype(int)
    np.testing.assert_array_equal(bar_activity(stems, starts), truth["layout"])
    df = read_tracks_csv(tmp_path)
    assert df.loc[1, ("artist", "name")] == "Greshz" and df.loc[1, ("track", "title")] == "CoolSnip"
    assert df.loc[1, ("track", "license")] == "Artistic License 2.0"
    again = build_lmms_corpus(tmp_path, projects_dir=[str(SHORTIE)], timeout_s=120, progress=False)
    assert again["skipped"] == ["Greshz-CoolSnip.mmpz"] and again["done"] == []


def test_failed_project_is_reported_and_skipped(tmp_path):
    bad = tmp_path / "src" / "Bad-Song.mmp"
    bad.parent.mkdir()
    bad.write_bytes(b"<lmms-project><song/></lmms-project>")
    report = build_lmms_corpus(tmp_path / "out", projects_dir=[str(bad.parent)], progress=False, lmms="lmms")
    assert report["n_finished"] == 0 and "no <head>" in report["failed"][str(bad)]


def test_song_over_time_limit_is_reported(tmp_path):
    project = tmp_path / "src" / "Slow-Song.mmp"
    project.parent.mkdir()
    project.write_bytes(XML)
    fake = tmp_path / "fake-lmms"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    report = build_lmms_corpus(tmp_path / "out", projects_dir=[str(project)], timeout_s=0.3, lmms=str(fake),
                               progress=False)
    assert report["n_finished"] == 0 and "time limit" in report["failed"][str(project)]
    assert not list((tmp_path / "out").glob(".render-*"))  # nothing half-written left behind


FAKE_LMMS = '''#!{python} -S
"""A stand-in for lmms: 'render' writes a 4-s stereo sine, 'rendertracks' two tracks or hangs."""
import array, math, os, sys, time, wave
args = [a for a in sys.argv[1:] if a != "--allowroot"]
cmd, out = args[0], args[args.index("-o") + 1]
def write(path, freq):
    n = 4 * 44100
    samples = array.array("h", (int(8000 * math.sin(2 * math.pi * freq * i / 44100)) for i in range(n) for _ in (0, 1)))
    with wave.open(path, "wb") as w:
        w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100); w.writeframes(samples.tobytes())
if cmd == "render":
    write(out, 220.0)
elif os.path.exists(os.path.join(os.path.dirname(sys.argv[0]), "hang-tracks")):
    time.sleep(60)
else:
    write(os.path.join(out, "0_Kick.wav"), 60.0)
    write(os.path.join(out, "1_Sub Bass.wav"), 110.0)
'''

CC_COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2004 Someone
License: GPL-2+

Files: data/projects/demos/Cc-*
Copyright: Someone Else
License: CC-BY-SA-4
"""


@pytest.fixture()
def fake_corpus(tmp_path):
    """Three projects (two CC, one GPL), a Debian copyright file and a fake lmms."""
    import sys

    root = tmp_path / "projects"
    (root / "demos").mkdir(parents=True)
    for name in ("Cc-One.mmp", "Gpl-Two.mmp", "Cc-Three.mmp"):
        (root / "demos" / name).write_bytes(XML)
    cfile = tmp_path / "copyright"
    cfile.write_text(CC_COPYRIGHT)
    fake = tmp_path / "bin" / "lmms"
    fake.parent.mkdir()
    fake.write_text(FAKE_LMMS.format(python=sys.executable))
    fake.chmod(0o755)
    opts = {"projects_dir": [str(root)], "lmms": str(fake), "copyright_path": cfile, "installed_root": root,
            "progress": False}
    return tmp_path / "out", opts, fake


def test_no_stems_keeps_mix_and_truth_and_subset_keeps_ids(fake_corpus):
    out, opts, _ = fake_corpus
    report = build_lmms_corpus(out, stems=False, only_cc=True, timeout_s=60, **opts)
    assert report["failed"] == {} and report["not_selected"] == ["Gpl-Two.mmp"]
    assert sorted(report["done"]) == ["Cc-One.mmp", "Cc-Three.mmp"]
    assert set(report["stems_missing"]) == {"Cc-One.mmp", "Cc-Three.mmp"}
    # ids come from the full sorted list (Cc-One, Cc-Three, Gpl-Two): the subset is 1 and 2
    truth = read_truth(out / "ground_truth" / "000002")
    assert truth["project"].endswith("Cc-Three.mmp") and not has_stems(truth)
    assert truth["stems_missing"] is True and "--no-stems" in truth["stems_reason"]
    assert truth["loops"] == [] and "layout" not in truth and truth["tracks"] == ["Kick", "Bass"]
    assert truth["tempo"] == 93.0 and truth["downbeats"][:2] == [0.0, round(4 * 60 / 93, 6)]
    assert not (out / "ground_truth" / "000002" / "stems").exists()
    df = read_tracks_csv(out)
    assert sorted(df.index) == [1, 2] and df.loc[1, ("track", "license")] == "Attribution-ShareAlike 4.0 International"
    # by name, a later run renders the GPL song with stems; finished songs are skipped
    again = build_lmms_corpus(out, names=["Gpl-*"], timeout_s=60, **opts)
    assert again["done"] == ["Gpl-Two.mmp"] and again["stems_missing"] == {} and again["n_finished"] == 3
    gpl = read_truth(out / "ground_truth" / "000003")
    assert has_stems(gpl) and [lp["role"] for lp in gpl["loops"]] == ["drum", "bass"]
    assert np.asarray(gpl["layout"]).shape == (gpl["n_bars"], 2)
    assert read_tracks_csv(out).loc[3, ("track", "license")] == "GNU General Public License v2.0 or later"


def test_slow_stems_degrade_to_mix_then_retry(fake_corpus):
    out, opts, fake = fake_corpus
    (fake.parent / "hang-tracks").touch()
    report = build_lmms_corpus(out, names=["Cc-One"], timeout_s=2.0, **opts)
    assert report["failed"] == {} and report["done"] == ["Cc-One.mmp"]
    assert "time limit" in report["stems_missing"]["Cc-One.mmp"]
    truth = read_truth(out / "ground_truth" / "000001")
    assert not has_stems(truth) and "rendertracks ran past" in truth["stems_reason"]
    assert sf.info(audio_path(out, 1)).frames == 4 * 44100 and not list(out.glob(".render-*"))
    assert build_lmms_corpus(out, names=["Cc-One"], timeout_s=60, **opts)["skipped"] == ["Cc-One.mmp"]
    (fake.parent / "hang-tracks").unlink()
    retried = build_lmms_corpus(out, names=["Cc-One"], timeout_s=60, retry_stems=True, **opts)
    assert retried["done"] == ["Cc-One.mmp"] and has_stems(read_truth(out / "ground_truth" / "000001"))


def test_has_stems():
    assert has_stems({"loops": [{"name": "a"}]})
    assert not has_stems({"loops": []}) and not has_stems({"loops": [{"name": "a"}], "stems_missing": True})
