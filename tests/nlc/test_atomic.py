"""nlc.atomic: a destination is replaced whole or left as it was, and no temporary is left behind."""

from __future__ import annotations

import os

import pytest

from nlc import atomic


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_files_are_written_whole_with_shared_permissions(tmp_path):
    target = tmp_path / "sub" / "a.json"
    atomic.write_json(target, {"b": 1, "a": [1, 2]})
    assert target.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    atomic.write_bytes(tmp_path / "b.bin", b"\x00\x01")
    atomic.write_text(tmp_path / "c.txt", "x\r\ny")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.txt").read_bytes() == b"x\r\ny"  # no newline translation
    mask = os.umask(0)
    os.umask(mask)
    assert (target.stat().st_mode & 0o777) == 0o666 & ~mask
    assert _listing(tmp_path) == ["b.bin", "c.txt", "sub"] and _listing(tmp_path / "sub") == ["a.json"]


@pytest.mark.parametrize("fail", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, fail):
    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(type(fail)):
        with atomic.atomic_open(target) as handle:
            handle.write("half of the new")
            raise fail
    assert target.read_text() == "old"
    assert _listing(tmp_path) == ["results.json"]


def test_atomic_path_serves_writers_that_want_a_name(tmp_path):
    target = tmp_path / "x.npy"
    with atomic.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".x.npy.")
        tmp.write_bytes(b"new")
        assert not target.exists()
    assert target.read_bytes() == b"new" and _listing(tmp_path) == ["x.npy"]


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path):
    final = tmp_path / "song"
    with atomic.atomic_dir(final) as staging:
        (staging / "loops").mkdir()
        (staging / "loops" / "a.wav").write_bytes(b"1")
    assert _listing(final) == ["loops"]
    with pytest.raises(RuntimeError):
        with atomic.atomic_dir(final) as staging:
            (staging / "other").write_text("partial")
            raise RuntimeError("killed")
    assert _listing(final) == ["loops"] and _listing(tmp_path) == ["song"]
    with atomic.atomic_dir(final, staging_parent=tmp_path / "tmp") as staging:
        (staging / "new").write_text("n")
    assert _listing(final) == ["new"] and _listing(tmp_path) == ["song", "tmp"]
    assert _listing(tmp_path / "tmp") == []
