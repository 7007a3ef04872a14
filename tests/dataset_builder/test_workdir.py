"""The build's work folder keeps records only for the settings and code that made them."""

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
