"""``nlc.provenance.package_versions``: every version that can change a number, and the commit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nlc import provenance
from nlc.provenance import TRACKED_PACKAGES, native_versions, package_versions, source_revision

ROOT = Path(__file__).resolve().parents[2]
NOT_NUMBER_SHAPING = {  # dependencies that move files, draw figures or check types, but change no number
    "threadpoolctl", "huggingface-hub", "dask", "matplotlib", "pydantic", "tqdm", "pyyaml", "xxhash", "filelock",
}


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_every_number_shaping_dependency_is_tracked():
    deps = {_distribution(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert {"pedalboard", "scikit-learn", "torchcodec"} <= set(TRACKED_PACKAGES)
    assert not deps - NOT_NUMBER_SHAPING - set(TRACKED_PACKAGES), "a dependency is neither tracked nor exempted"


def test_the_record_has_native_libraries_and_the_commit():
    versions = package_versions()
    assert set(TRACKED_PACKAGES) | {"python", "libsndfile", "ffmpeg", "nlc-bench.git_commit",
                                    "nlc-bench.git_dirty"} == set(versions)
    assert all(isinstance(v, str) and v for v in versions.values())
    import soundfile

    assert versions["libsndfile"] == soundfile.__libsndfile_version__
    if shutil.which("ffmpeg"):
        assert versions["ffmpeg"] not in ("not installed", "unknown") and versions["ffmpeg"][0].isdigit()
    assert package_versions() == versions  # nothing that changes between calls (no time)


@pytest.mark.skipif(not (ROOT / ".git").exists() or shutil.which("git") is None, reason="not a git checkout")
def test_a_git_checkout_records_its_commit():
    revision = source_revision()
    assert re.fullmatch(r"[0-9a-f]{40}", revision["nlc-bench.git_commit"])
    assert revision["nlc-bench.git_dirty"] in ("true", "false")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_commit_and_dirty_state_of_a_checkout(tmp_path):
    root = tmp_path / "src"
    (root / "nlc").mkdir(parents=True)
    (root / "nlc" / "a.py").write_text("x = 1\n")
    _git(root, "init", "-q")
    assert source_revision(root) == {"nlc-bench.git_commit": "unknown", "nlc-bench.git_dirty": "unknown"}  # no commit
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    head = _git(root, "rev-parse", "HEAD").strip()
    source_revision.cache_clear()
    assert source_revision(root) == {"nlc-bench.git_commit": head, "nlc-bench.git_dirty": "false"}
    (root / "nlc" / "a.py").write_text("x = 2\n")
    assert source_revision(root)["nlc-bench.git_dirty"] == "false"  # cached: one git call per process
    source_revision.cache_clear()
    assert source_revision(root) == {"nlc-bench.git_commit": head, "nlc-bench.git_dirty": "true"}
    _git(root, "checkout", "-q", "--", ".")
    (root / "nlc" / "new.py").write_text("")  # an untracked file changes the code too
    source_revision.cache_clear()
    assert source_revision(root)["nlc-bench.git_dirty"] == "true"
    source_revision.cache_clear()


def test_an_installed_copy_inside_another_repository_is_unknown(tmp_path):
    # site-packages of a virtual environment that lives inside some project's checkout
    repo = tmp_path / "project"
    site = repo / ".venv" / "lib" / "site-packages"
    (site / "nlc").mkdir(parents=True)
    (repo / ".git").mkdir()
    assert source_revision(site) == {"nlc-bench.git_commit": "unknown", "nlc-bench.git_dirty": "unknown"}
    source_revision.cache_clear()


def test_git_and_ffmpeg_run_at_most_once_per_process(monkeypatch):
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(cmd, *args, **kwargs):
        calls.append(list(cmd))
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(provenance.subprocess, "run", counting)
    source_revision.cache_clear()
    native_versions.cache_clear()
    for _ in range(3):
        package_versions()
    assert sum("status" in c for c in calls) <= 1 and sum("-version" in c for c in calls) <= 1
    git_calls = [c for c in calls if "status" in c]
    if git_calls:
        assert "--no-optional-locks" in git_calls[0]  # never writes the index of a working tree


def test_importing_provenance_imports_nothing_heavy():
    code = ("import sys, nlc.provenance; "
            "print(sorted(m for m in ('soundfile', 'torch', 'torchcodec', 'pedalboard', 'sklearn', 'librosa') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
