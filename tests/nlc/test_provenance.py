"""``nlc.provenance.folder_sha256``: a deterministic digest of a submission's whole folder."""

import hashlib
import json
import os
import shutil

import pytest

from nlc.provenance import file_sha256, folder_sha256


def _folder(root):
    (root / "sub").mkdir(parents=True)
    (root / "submission.py").write_text("THRESHOLD = 0.5\n")
    (root / "sub" / "weights.bin").write_bytes(bytes(range(256)))
    return root


def test_digest_is_the_sorted_manifest_of_paths_and_bytes(tmp_path):
    root = _folder(tmp_path / "a")
    manifest = "".join(
        json.dumps(["file", rel, file_sha256(root / rel)]) + "\n" for rel in ("sub/weights.bin", "submission.py")
    )
    assert folder_sha256(root) == hashlib.sha256(manifest.encode()).hexdigest()


def test_same_contents_same_digest_anywhere_and_every_change_counts(tmp_path):
    a = _folder(tmp_path / "a")
    b = shutil.copytree(a, tmp_path / "elsewhere" / "b")
    os.utime(b / "submission.py", (0, 0))
    assert folder_sha256(a) == folder_sha256(b)
    (b / "sub" / "weights.bin").write_bytes(bytes(range(255)))  # content
    assert folder_sha256(a) != folder_sha256(b)
    c = shutil.copytree(a, tmp_path / "c")
    (c / "sub" / "weights.bin").rename(c / "sub" / "w.bin")  # name
    assert folder_sha256(a) != folder_sha256(c)
    d = shutil.copytree(a, tmp_path / "d")
    (d / "notes.txt").write_text("")  # an added empty file
    assert folder_sha256(a) != folder_sha256(d)


def test_pycache_and_hidden_names_are_skipped(tmp_path):
    a = _folder(tmp_path / "a")
    before = folder_sha256(a)
    (a / "__pycache__").mkdir()
    (a / "__pycache__" / "submission.cpython-311.pyc").write_bytes(b"x")
    (a / ".git").mkdir()
    (a / ".git" / "HEAD").write_text("ref")
    (a / "sub" / ".DS_Store").write_bytes(b"x")
    assert folder_sha256(a) == before


def test_symlinks_count_their_target_string_and_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"1")
    a = _folder(tmp_path / "a")
    (a / "data").symlink_to(outside, target_is_directory=True)
    (a / "link.py").symlink_to("submission.py")
    first = folder_sha256(a)
    (outside / "big.bin").write_bytes(b"2")  # not followed: no change
    (outside / "more.bin").write_bytes(b"3")
    assert folder_sha256(a) == first
    (a / "link.py").unlink()
    (a / "link.py").symlink_to("./submission.py")  # same file, other target string
    assert folder_sha256(a) != first


def test_not_a_folder(tmp_path):
    (tmp_path / "f.py").write_text("")
    with pytest.raises(NotADirectoryError):
        folder_sha256(tmp_path / "f.py")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert folder_sha256(empty) == hashlib.sha256(b"").hexdigest()
