"""``dataset publish``: everything up to the upload call, with the Hub client replaced."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import httpx2
import pytest
import requests
from huggingface_hub import HfApi
from huggingface_hub.errors import (HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled,
                                    RepositoryNotFoundError, RevisionNotFoundError)
from huggingface_hub.hf_api import CommitInfo, GitRefInfo, GitRefs
from huggingface_hub.utils import filter_repo_objects

from nlc.cli import main
from nlc.dataset_builder.release.publish import ALLOW_PATTERNS, PublishError, publish
from nlc.errors import InputError, IntegrityError

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class RecordingApi:
    """Stands in for ``huggingface_hub.HfApi``: checks each call against the real method's
    signature and records it instead of sending anything."""

    def __init__(self, tags: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.tags = dict(tags or {})

    def create_repo(self, repo_id, **kwargs):
        inspect.signature(HfApi.create_repo).bind(None, repo_id, **kwargs)
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return f"https://huggingface.co/datasets/{repo_id}"

    def upload_folder(self, **kwargs):
        inspect.signature(HfApi.upload_folder).bind(None, **kwargs)
        self.calls.append(("upload_folder", kwargs))
        folder = Path(kwargs["folder_path"])  # staged for the upload and removed after it: look now
        self.sent = {p.relative_to(folder).as_posix(): p.read_bytes()
                     for p in folder.rglob("*") if p.is_file()
                     and filter_repo_objects([p.relative_to(folder).as_posix()], allow_patterns=kwargs.get("allow_patterns"))}
        return CommitInfo(f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/abc",
                          commit_message=kwargs["commit_message"], commit_description="", oid=COMMIT)

    def list_repo_refs(self, repo_id, **kwargs):
        inspect.signature(HfApi.list_repo_refs).bind(None, repo_id, **kwargs)
        self.calls.append(("list_repo_refs", {"repo_id": repo_id, **kwargs}))
        return GitRefs(branches=[], converts=[],
                       tags=[GitRefInfo(name=t, ref=f"refs/tags/{t}", target_commit=c) for t, c in self.tags.items()])

    def create_tag(self, repo_id, **kwargs):
        inspect.signature(HfApi.create_tag).bind(None, repo_id, **kwargs)
        self.calls.append(("create_tag", {"repo_id": repo_id, **kwargs}))
        self.tags[kwargs["tag"]] = kwargs["revision"]


def test_publish_uploads_the_whole_dataset_and_nothing_else(tiny_dataset: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(tiny_dataset, tmp_path / "nlc-loops"))
    (root / ".cache").mkdir()
    (root / ".cache" / "token").write_text("hf_secret")
    api = RecordingApi()
    result = publish(root, repo_id="my-org/nlc-loops", private=True, api=api)
    assert result.url is not None and result.url.endswith("/commit/abc") and result.commit == COMMIT
    (name, create), (name2, upload), _, (name4, tag) = api.calls
    assert name == "create_repo" and create == {"repo_id": "my-org/nlc-loops", "repo_type": "dataset",
                                                 "private": True, "exist_ok": True}
    assert name2 == "upload_folder" and upload["repo_type"] == "dataset"
    expected = {p.relative_to(tiny_dataset).as_posix(): p.read_bytes() for p in tiny_dataset.rglob("*") if p.is_file()}
    assert api.sent == expected  # every group publishable: the build exactly as it is, card and record included
    assert ".cache/token" not in api.sent and "pairs" in upload["commit_message"]
    assert not Path(upload["folder_path"]).exists() and sorted(p.name for p in tmp_path.iterdir()) == ["nlc-loops"]
    assert name4 == "create_tag" and tag["tag"] == "protocol-1.0" and tag["revision"] == COMMIT
    assert tag["repo_type"] == "dataset" and tag["exist_ok"] is False
    assert result.tag_note == f"tagged protocol-1.0 -> {COMMIT[:12]}"


def test_publish_some_groups_sends_them_and_the_whole_protocol(tiny_dataset: Path, tmp_path: Path) -> None:
    """``--groups cc0``: cc0's tables, every file of the protocol, and a card and record for exactly that."""
    import json

    import yaml

    from nlc.loops.reader import open_dataset

    api = RecordingApi()
    publish(tiny_dataset, repo_id="org/nlc-loops", groups=["cc0"], api=api)
    info = json.loads((tiny_dataset / "protocol.json").read_text())
    sent = set(api.sent)
    assert {f"data/cc0/{s}" for s in ("train-00000-of-00001.parquet",)} <= sent
    assert not any(name.startswith(("data/cc-by/", "loops/cc-by/train")) for name in sent)
    protocol = set(info["protocol_files"].values()) | {rel for g in info["protocol_groups"]
                                                        for s in ("validation", "test")
                                                        for rel in info["loop_files"][g].get(s, [])}
    assert protocol <= sent
    record = json.loads(api.sent["protocol.json"])
    assert record["groups"] == ["cc0"] and record["built_from"] == info["dataset_fingerprint"]
    assert record["content_hash"] == info["content_hash"] and set(record["files"]) == sent - {
        "README.md", "protocol.json", "build_report.json"}
    card = yaml.safe_load(api.sent["README.md"].decode().split("---\n")[1])
    assert [c["config_name"] for c in card["configs"]] == ["cc0", "cc0-loops", "protocol", "protocol-loops"]
    snapshot = tmp_path / "snapshot"  # what a user downloads opens and verifies like a local build
    for name, data in api.sent.items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / name).write_bytes(data)
    ds = open_dataset(snapshot)
    assert ds.groups == ("cc0",) and len(ds.ranking()) == len(open_dataset(tiny_dataset).ranking())
    ds.loop_audio(ds.ranking()["candidate_id"])  # every loop the protocol names is in the upload


def test_publish_never_sends_no_derivatives_groups(tmp_path: Path) -> None:
    from tests.conftest import build_tiny_dataset

    root = build_tiny_dataset(tmp_path / "nlc-loops", work_root=tmp_path / "work",
                              licenses=("cc-by", "cc-by-nd", "cc-by", "cc-by-nc-nd", "cc0"))
    from nlc.loops.reader import open_dataset

    ds = open_dataset(root)
    assert set(ds.groups) == {"cc-by", "cc-by-nd", "cc-by-nc-nd", "cc0"}  # kept for local training...
    for split in ("validation", "test"):  # ...but never in the frozen protocol
        assert not set(ds.pairs(split)["license"]) & {"cc-by-nd", "cc-by-nc-nd"}
    assert ds.info.protocol_groups == ("cc-by", "cc0")
    plan = publish(root, repo_id="org/nlc-loops", dry_run=True).plan
    assert plan.groups == ("cc-by", "cc0")
    assert not any("-nd/" in name for name, _ in plan.files)
    with pytest.raises(InputError, match="cc-by-nd: a no-derivatives license"):
        publish(root, repo_id="org/nlc-loops", groups=["cc0", "cc-by-nd"], dry_run=True)
    with pytest.raises(InputError, match="not in this build"):
        publish(root, repo_id="org/nlc-loops", groups=["cc-by-sa"], dry_run=True)


def test_publish_cli_uses_hfapi(tiny_dataset: Path, monkeypatch, capsys) -> None:
    import huggingface_hub

    api = RecordingApi()
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda: api)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_fake")
    assert main(["dataset", "publish", str(tiny_dataset), "--repo-id", "org/nlc-loops"]) == 0
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder", "list_repo_refs", "create_tag"]
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


class RaisingApi:
    """A client that must not be touched."""

    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise AssertionError(f"api.{name} called")
        return call


def test_publish_dry_run_lists_the_upload_without_the_hub(tiny_dataset: Path, monkeypatch, capsys) -> None:
    import huggingface_hub

    result = publish(tiny_dataset, repo_id="org/nlc-loops", dry_run=True, api=RaisingApi())
    assert result.url is None and result.plan.tag == "protocol-1.0"
    expected = {p.relative_to(tiny_dataset).as_posix(): p.stat().st_size for p in tiny_dataset.rglob("*") if p.is_file()}
    assert dict(result.plan.files) == expected and result.plan.total_bytes == sum(expected.values())

    def no_token():
        raise AssertionError("token read on a dry run")

    monkeypatch.setattr(huggingface_hub, "HfApi", RaisingApi)
    monkeypatch.setattr(huggingface_hub, "get_token", no_token)
    assert main(["dataset", "publish", str(tiny_dataset), "--repo-id", "org/nlc-loops", "--dry-run",
                 "--revision", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run: ") and "org/nlc-loops" in out and "(revision dev) with upload_folder" in out
    assert "protocol-1.0" in out and f"{sum(expected.values()):,} bytes" in out
    assert all(name in out for name in expected)


def test_publish_dry_run_still_verifies(tiny_dataset: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(tiny_dataset, tmp_path / "nlc-loops"))
    (root / "protocol" / "ranking-00000-of-00001.parquet").write_bytes(b"broken")
    with pytest.raises(IntegrityError, match="ranking"):
        publish(root, repo_id="org/nlc-loops", dry_run=True, api=RaisingApi())


def test_publish_tag_pointing_elsewhere_is_not_moved(tiny_dataset: Path) -> None:
    api = RecordingApi(tags={"protocol-1.0": "f" * 40})
    result = publish(tiny_dataset, repo_id="org/nlc-loops", api=api)
    assert "create_tag" not in [c[0] for c in api.calls] and api.tags["protocol-1.0"] == "f" * 40
    assert result.tag_note.startswith("warning: tag protocol-1.0 already points to ffffffffffff, not moved to")
    assert "\n" not in result.tag_note
    api = RecordingApi(tags={"protocol-1.0": COMMIT})
    assert publish(tiny_dataset, repo_id="org/nlc-loops", api=api).tag_note == \
        f"tag protocol-1.0 already on {COMMIT[:12]}"
    assert "create_tag" not in [c[0] for c in api.calls]


def _http_error(cls, status: int, server_message: str | None = None):
    request = httpx2.Request("POST", "https://huggingface.co/api/repos/create")
    return cls(f"{status} Client Error", response=httpx2.Response(status, request=request),
               server_message=server_message)


class FailingApi(RecordingApi):
    def __init__(self, exc: BaseException, at: str = "create_repo") -> None:
        super().__init__()
        self.exc, self.at = exc, at

    def __getattribute__(self, name):
        if name == object.__getattribute__(self, "at"):
            raise object.__getattribute__(self, "exc")
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("exc, at, message", [
    (LocalTokenNotFoundError("Token is required (`token=True`), but no token found."), "create_repo",
     "org/nlc-loops: no Hugging Face token: run `hf auth login` or set HF_TOKEN"),
    (_http_error(RepositoryNotFoundError, 404), "create_repo",
     "org/nlc-loops: dataset repository not found or not accessible with this token: check --repo-id"),
    (_http_error(RevisionNotFoundError, 404), "upload_folder", "org/nlc-loops: the Hub found no main branch"),
    (_http_error(HfHubHTTPError, 401), "create_repo", "org/nlc-loops: the Hub rejected the token (HTTP 401)"),
    (_http_error(HfHubHTTPError, 403), "upload_folder", "org/nlc-loops: this token may not write to 'org'"),
    (_http_error(HfHubHTTPError, 500, "Internal Error - We're working hard\nto fix this"), "upload_folder",
     "org/nlc-loops: the Hub answered HTTP 500 (Internal Error - We're working hard to fix this); re-run"),
    (httpx2.ConnectError("[Errno -3] Temporary failure in name resolution"), "create_repo",
     "org/nlc-loops: cannot reach the Hugging Face Hub (ConnectError: [Errno -3] Temporary failure"),
    (requests.ConnectionError("Max retries exceeded"), "create_repo",
     "org/nlc-loops: cannot reach the Hugging Face Hub (ConnectionError: Max retries exceeded)"),
    (OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode is enabled."), "create_repo",
     "org/nlc-loops: HF_HUB_OFFLINE is set: unset it to publish"),
    (OSError(101, "Network is unreachable"), "upload_folder",
     "org/nlc-loops: cannot reach the Hugging Face Hub (OSError: [Errno 101] Network is unreachable)"),
    (_http_error(HfHubHTTPError, 500), "create_tag",
     "org/nlc-loops: uploaded (https://huggingface.co/datasets/org/nlc-loops/commit/abc) but could not tag "
     "protocol-1.0: the Hub answered HTTP 500"),
])
def test_publish_hub_errors_are_one_line(tiny_dataset: Path, monkeypatch, capsys, exc, at, message) -> None:
    import huggingface_hub

    api = FailingApi(exc, at)
    with pytest.raises(PublishError) as info:
        publish(tiny_dataset, repo_id="org/nlc-loops", api=api)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    monkeypatch.setenv("HF_TOKEN", "hf_secretsecretsecret")
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda: api)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_secretsecretsecret")
    assert main(["dataset", "publish", str(tiny_dataset), "--repo-id", "org/nlc-loops"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("nlc-bench: error: " + message) and captured.err.count("\n") == 1
    assert "hf_secret" not in captured.err + captured.out


def test_publish_without_a_token_stops_before_the_hub(tiny_dataset: Path, monkeypatch, capsys) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", RaisingApi)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    assert main(["dataset", "publish", str(tiny_dataset), "--repo-id", "org/nlc-loops"]) == 2
    assert capsys.readouterr().err == ("nlc-bench: error: org/nlc-loops: no Hugging Face token: "
                                       "run `hf auth login` or set HF_TOKEN\n")


def test_publish_missing_branch_says_how_to_create_it(tiny_dataset: Path) -> None:
    api = FailingApi(_http_error(RevisionNotFoundError, 404), "upload_folder")
    with pytest.raises(PublishError, match=r"^org/nlc-loops: branch 'dev' does not exist: create it first "
                                           r"\(`hf repos branch create org/nlc-loops dev --repo-type dataset`\)"):
        publish(tiny_dataset, repo_id="org/nlc-loops", revision="dev", api=api)


def test_two_publishes_of_one_build_at_once_do_not_collide(tiny_dataset: Path, tmp_path: Path) -> None:
    """Each upload stages its own view; one finishing (and cleaning up) never pulls files from the other."""
    import threading

    root = Path(shutil.copytree(tiny_dataset, tmp_path / "nlc-loops"))
    gate = threading.Barrier(2, timeout=30)

    class SlowApi(RecordingApi):
        def upload_folder(self, **kwargs):
            gate.wait()  # both uploads have staged their views before either reads its folder
            return super().upload_folder(**kwargs)

    apis = [SlowApi(), SlowApi()]
    threads = [threading.Thread(target=publish, args=(root,), kwargs={"repo_id": f"org/r{k}", "api": api,
                                                                       "groups": [["cc0"], ["cc-by"]][k]})
               for k, api in enumerate(apis)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "data/cc0/train-00000-of-00001.parquet" in apis[0].sent
    assert "data/cc-by/train-00000-of-00001.parquet" in apis[1].sent
    assert not any(name.startswith("data/cc-by/") for name in apis[0].sent)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nlc-loops"]
