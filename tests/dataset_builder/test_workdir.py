"""The build's work folder keeps records only for the settings and code that made them."""

import json

import pytest

from nlc.dataset_builder.build.workdir import CODE_KEY, WorkDir
from nlc.errors import InputError


def test_records_of_other_code_are_discarded_other_settings_refused(tmp_path):
    work = WorkDir(tmp_path / "work")
    settings = {"extraction": {"seed": 0}, CODE_KEY: "aaa"}
    assert work.prepare(settings) == 0
    work.store_song("000001", {"pairs.csv": b"loop_a,loop_b\n"}, roles={})
    work.store_failure("000002", "no stable beat")
    assert work.prepare(settings) == 0 and work.done_ids() == {"000001", "000002"}  # plain resume
    assert work.prepare({**settings, CODE_KEY: "bbb"}) == 2  # extraction code changed
    assert work.done_ids() == set()
    with pytest.raises(InputError, match=r"other settings \(extraction\)"):
        work.prepare({"extraction": {"seed": 1}, CODE_KEY: "bbb"})


def test_source_fingerprint_follows_the_code(tmp_path, monkeypatch):
    from nlc.provenance import source_fingerprint

    pkg = tmp_path / "fpkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = source_fingerprint(("fpkg",))
    assert first == source_fingerprint(("fpkg",)) and len(first) == 64
    (pkg / "sub" / "mod.py").write_text("X = 2\n")
    assert source_fingerprint(("fpkg",)) != first


def test_store_song_writes_each_file_once_and_replaces_a_record_whole(tmp_path):
    work = WorkDir(tmp_path / "work")
    work.prepare({CODE_KEY: "aaa"})
    wav = b"RIFF" + bytes(range(256)) * 3
    final = work.store_song("000001", {"loops/loop00.wav": wav, "pairs.csv": b"loop_a,loop_b\n"},
                            roles={"loop00": "drum"})
    assert final == work.song_dir("000001")
    assert (final / "loops" / "loop00.wav").read_bytes() == wav  # the given bytes, not re-encoded
    assert json.loads((final / "roles.json").read_text()) == {"loop00": "drum"}
    work.store_song("000001", {"pairs.csv": b"new\n"}, roles={})  # a record is replaced whole
    assert sorted(p.name for p in final.iterdir()) == ["pairs.csv", "roles.json"]
    assert list(work.tmp.iterdir()) == [] and [p.name for p in work.songs.iterdir()] == ["000001"]
    # a replaced record that a killed run had not deleted yet is no song, and goes on the next run
    (work.songs / ".000001.old-1a2b3c4d" / "loops").mkdir(parents=True)
    assert work.done_ids() == {"000001"} and work.finished_ids() == ["000001"]
    work.prepare({CODE_KEY: "aaa"})
    assert [p.name for p in work.songs.iterdir()] == ["000001"]


def test_store_song_leaves_nothing_when_it_fails(tmp_path):
    work = WorkDir(tmp_path / "work")
    work.prepare({CODE_KEY: "aaa"})
    with pytest.raises(TypeError):
        work.store_song("000001", {"pairs.csv": "not bytes"}, roles={})
    assert work.done_ids() == set() and list(work.tmp.iterdir()) == [] and list(work.songs.iterdir()) == []


def test_write_json_keeps_unicode_as_utf8(tmp_path):
    from nlc.atomic import write_json

    path = write_json(tmp_path / "a" / "r.json", {"title": "Déjà vu", "b": [1, 2]})
    assert path.read_bytes() == '{\n  "b": [\n    1,\n    2\n  ],\n  "title": "Déjà vu"\n}\n'.encode()
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]
