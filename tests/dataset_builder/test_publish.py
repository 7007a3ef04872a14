"""``dataset publish``: everything up to the upload call, with the Hub client replaced."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import filter_repo_objects

from nlc.cli import main
from nlc.dataset_builder.release.publish import ALLOW_PATTERNS, publish
from nlc.errors import InputError, IntegrityError


class RecordingApi:
    """Stands in for ``huggingface_hub.HfApi``: checks each call against the real method's
    signature and records it instead of sending anything."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def create_repo(self, repo_id, **kwargs):
        inspect.signature(HfApi.create_repo).bind(None, repo_id, **kwargs)
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return f"https://huggingface.co/datasets/{repo_id}"

    def upload_folder(self, **kwargs):
        inspect.signature(HfApi.upload_folder).bind(None, **kwargs)
        self.calls.append(("upload_folder", kwargs))
        return f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/abc"


def _uploaded(root: Path, upload: dict) -> set[str]:
    """What ``upload_folder`` would send, filtered the way huggingface_hub filters."""
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return set(filter_repo_objects(files, allow_patterns=upload.get("allow_patterns"),
                                   ignore_patterns=upload.get("ignore_patterns")))


def test_publish_uploads_the_whole_dataset_and_nothing_else(tiny_dataset: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(tiny_dataset, tmp_path / "nlc-loops"))
    (root / ".cache").mkdir()
    (root / ".cache" / "token").write_text("hf_secret")
    api = RecordingApi()
    url = publish(root, repo_id="my-org/nlc-loops", private=True, api=api)
    assert url.endswith("/commit/abc")
    (name, create), (name2, upload) = api.calls
    assert name == "create_repo" and create == {"repo_id": "my-org/nlc-loops", "repo_type": "dataset",
                                                 "private": True, "exist_ok": True}
    assert name2 == "upload_folder" and upload["repo_type"] == "dataset" and upload["folder_path"] == str(root)
    sent = _uploaded(root, upload)
    expected = {p.relative_to(tiny_dataset).as_posix() for p in tiny_dataset.rglob("*") if p.is_file()}
    assert sent == expected
    assert ".cache/token" not in sent and "pairs" in upload["commit_message"]


def test_publish_cli_uses_hfapi(tiny_dataset: Path, monkeypatch, capsys) -> None:
    import huggingface_hub

    api = RecordingApi()
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda: api)
    assert main(["dataset", "publish", str(tiny_dataset), "--repo-id", "org/nlc-loops"]) == 0
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    assert api.calls[0][1]["private"] is False
    assert "org/nlc-loops" in capsys.readouterr().out


def test_publish_refuses_bad_input(tiny_dataset: Path, tmp_path: Path) -> None:
    api = RecordingApi()
    with pytest.raises(InputError, match="OWNER/NAME"):
        publish(tiny_dataset, repo_id="nlc-loops", api=api)
    root = Path(shutil.copytree(tiny_dataset, tmp_path / "nlc-loops"))
    (root / "protocol" / "ranking-00000-of-00001.parquet").write_bytes(b"broken")
    with pytest.raises(IntegrityError, match="ranking"):
        publish(root, repo_id="org/nlc-loops", api=api)
    assert api.calls == []
    assert set(ALLOW_PATTERNS) >= {"README.md", "protocol.json"}
