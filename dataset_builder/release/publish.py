"""``nlc-bench dataset publish``: push an ``nlc-loops/`` folder to the Hugging Face Hub.

The folder is already Hub-ready (card, configs, Parquet shards), so publishing is one
``create_repo``, one ``upload_folder`` and one tag ``protocol-<protocol_version>`` on the new
commit. What is uploaded is a *view* of the build: the chosen license groups (default:
every group but the no-derivatives ones, which are never published: a loop is an adaptation
of its song) and the whole frozen protocol (``protocol`` and ``protocol-loops``), with a card
and ``protocol.json`` re-written for exactly those files. The view is staged as hard links
beside the folder (a new folder per upload), so nothing is copied. (``huggingface_hub`` 2.x removed ``upload_large_folder``: its ``upload_folder`` itself
commits a large folder in resumable batches, so one call serves every size.) The token comes from where
``huggingface_hub`` always looks (``HF_TOKEN``, or ``hf auth login``'s stored token) and is
never printed, logged or written by nlc-bench. Before anything is sent the folder is opened
with full verification, so a corrupted shard is never published; ``dry_run=True`` stops
there and only describes the upload (no token, no network). Hub and network failures become
one-line :class:`PublishError` messages saying what to do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlc.atomic import json_text
from nlc.errors import InputError, NLCError

from nlc.loops.reader import LoopsDataset, open_dataset
from nlc.loops.layout import (
    BUILD_REPORT, CARD, DATA_DIR, LOOPS_DIR, NO_DERIVATIVES_GROUPS, PROTOCOL_DIR, PROTOCOL_JSON, SPLITS, TRUTH_JSON,
    fingerprint, protocol_loop_files,
)

ALLOW_PATTERNS: tuple[str, ...] = (CARD, PROTOCOL_JSON, BUILD_REPORT, TRUTH_JSON, f"{DATA_DIR}/**/*.parquet",
                                   f"{LOOPS_DIR}/**/*.parquet", f"{PROTOCOL_DIR}/*.parquet")
"""What may be uploaded: the card, the two JSON records and the Parquet shards, nothing else."""

TAG_PREFIX = "protocol-"
"""The frozen protocol's tag on the Hub: ``protocol-<protocol_version>``, e.g. ``protocol-1.0``."""

_TOKEN_RE = re.compile(r"hf_[A-Za-z0-9]{8,}")


class PublishError(NLCError):
    """The Hub refused the upload or could not be reached; the message says what to do."""


def check_repo_id(repo_id: str) -> str:
    """Reject a repo id that is not ``owner/name``."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or any(" " in p for p in parts):
        raise InputError(f"--repo-id {repo_id!r}: expected OWNER/NAME, e.g. my-org/nlc-loops")
    return repo_id


def _size(n: int) -> str:
    """``n`` bytes for people: ``512 B``, ``12.3 kB``, ``4.1 GB`` (powers of 1000)."""
    if n < 1000:
        return f"{n} B"
    value, unit = n / 1000, "kB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"


@dataclass(frozen=True)
class UploadPlan:
    """What :func:`publish` sends: the verified folder, the files and where they go."""

    root: Path
    repo_id: str
    revision: str | None
    private: bool
    files: tuple[tuple[str, int], ...]
    """``(path in the repo, size in bytes)`` of every file uploaded, sorted."""
    tag: str
    commit_message: str
    groups: tuple[str, ...] = ()
    """The license groups uploaded (the frozen protocol always is)."""
    generated: tuple[tuple[str, bytes], ...] = ()
    """``(path, bytes)`` of the files written for this upload (its card and ``protocol.json``)."""

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    def describe(self) -> str:
        """The dry-run report: one line per file, then the total and the destination."""
        width = max((len(_size(s)) for _, s in self.files), default=0)
        lines = [f"dry run: {self.root} verified; nothing sent to the Hub",
                 f"would upload {len(self.files)} files to dataset {self.repo_id} "
                 f"(revision {self.revision or 'main'}) with upload_folder; groups {', '.join(self.groups)} "
                 f"and the frozen protocol:"]
        lines += [f"  {_size(size):>{width}}  {name}" for name, size in self.files]
        lines += [f"total: {len(self.files)} files, {_size(self.total_bytes)} ({self.total_bytes:,} bytes)",
                  f"repo: {self.repo_id} (dataset, created {'private' if self.private else 'public'} if missing)",
                  f"commit message: {self.commit_message}",
                  f"then tag: {self.tag} on the new commit"]
        return "\n".join(lines)


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` did (``url`` is None on a dry run)."""

    plan: UploadPlan
    url: str | None = None
    commit: str | None = None
    tag_note: str = ""
    """One line about the tag: created, already there, or left where it was (see :func:`_tag`)."""


def publish_groups(dataset: LoopsDataset, groups: Sequence[str] | None) -> list[str]:
    """The license groups to upload: ``groups`` checked, or every publishable group of the build.

    A no-derivatives group is refused: its loops are adaptations of the songs (separated,
    time-stretched excerpts), which cc-by-nd and cc-by-nc-nd forbid sharing."""
    if groups is None:
        return [g for g in dataset.groups if g not in NO_DERIVATIVES_GROUPS]
    chosen = list(dict.fromkeys(groups))
    for group in chosen:
        if group in NO_DERIVATIVES_GROUPS:
            raise InputError(f"--groups {group}: a no-derivatives license; loops cut from these songs are "
                             f"adaptations, which the license forbids sharing, so they are never published")
        if group not in dataset.groups:
            raise InputError(f"--groups {group}: not in this build; it has {list(dataset.groups)}")
    if not chosen:
        raise InputError("--groups: name at least one license group")
    return chosen


def published_files(info: Mapping[str, Any], groups: Sequence[str]) -> list[str]:
    """Every shard of the upload: the groups' pair and loop tables plus the whole frozen protocol."""
    shards = [rel for g in groups for table in (info["data_files"], info["loop_files"])
              for s in SPLITS for rel in table[g].get(s, [])]
    shards += list(info["protocol_files"].values()) + protocol_loop_files(info)
    shards += [TRUTH_JSON] if TRUTH_JSON in info["files"] else []
    return sorted(set(shards))


def published_info(info: Mapping[str, Any], groups: Sequence[str]) -> dict[str, Any]:
    """``protocol.json`` of the upload: the build's, restricted to the files sent.

    ``groups``, the file tables and the fingerprint describe what is on the Hub, so
    :func:`~nlc.loops.reader.open_dataset` verifies a downloaded snapshot; ``built_from``
    keeps the fingerprint of the whole local build. The protocol (content hash) is the same.
    An upload of every group is the build itself, so it gets the build's own record."""
    if sorted(groups) == sorted(info["groups"]):
        return dict(info)  # the whole build: its own record
    shards = set(published_files(info, groups))
    view = dict(info)
    view["groups"] = list(groups)
    view["data_files"] = {g: info["data_files"][g] for g in groups}
    loop_files = {g: {s: [r for r in paths if r in shards] for s, paths in table.items()}
                  for g, table in info["loop_files"].items()}  # a group not uploaded keeps its protocol loops
    view["loop_files"] = {g: {s: paths for s, paths in table.items() if paths}
                          for g, table in loop_files.items() if any(table.values())}
    view["counts"] = {**info["counts"], "groups": {g: info["counts"]["groups"][g] for g in groups}}
    view["files"] = {rel: h for rel, h in info["files"].items() if rel in shards}
    data = {rel: h for rel, h in view["files"].items() if rel.startswith((f"{DATA_DIR}/", f"{LOOPS_DIR}/"))}
    view["dataset_fingerprint"] = fingerprint(data)
    view["built_from"] = info["dataset_fingerprint"]
    return view


def plan_publish(path: str | os.PathLike[str], *, repo_id: str, private: bool = False,
                 revision: str | None = None, groups: Sequence[str] | None = None, api: Any = None) -> UploadPlan:
    """Verify the folder and list what :func:`publish` would send; never contacts the Hub.

    The view's card and ``protocol.json`` are rendered here, once; :func:`stage_upload` writes them."""
    import pandas as pd

    from nlc.dataset_builder.release.card import render_card

    root = Path(path)
    check_repo_id(repo_id)
    dataset = open_dataset(root, verify=True)
    if not (root / CARD).is_file():
        raise InputError(f"{root}: no {CARD} dataset card; rebuild the folder with `nlc-bench dataset build`")
    chosen = publish_groups(dataset, groups)
    info = json.loads((root / PROTOCOL_JSON).read_text())
    view = published_info(info, chosen)
    pairs = pd.concat([dataset.pairs(s).assign(split=s) for s in SPLITS], ignore_index=True)
    report = json.loads((root / BUILD_REPORT).read_text())
    generated = ((CARD, render_card(view, pairs, report, groups=chosen).encode()),
                 (PROTOCOL_JSON, json_text(view).encode()))
    copied = [(name, (root / name).stat().st_size) for name in (*published_files(info, chosen), BUILD_REPORT)]
    files = tuple(sorted(copied + [(name, len(data)) for name, data in generated]))
    totals = [dataset.info.counts["groups"][g]["total"] for g in chosen]
    total = {k: sum(t[k] for t in totals) for k in ("pairs", "loops", "songs")}
    message = (f"nlc-loops: {total['pairs']} pairs, {total['loops']} loops, {total['songs']} songs; "
               f"groups {', '.join(chosen)} (protocol {dataset.info.protocol_version}, {dataset.info.content_hash[:12]})")
    return UploadPlan(root=root, repo_id=repo_id, revision=revision, private=private, files=files,
                      tag=f"{TAG_PREFIX}{dataset.info.protocol_version}", commit_message=message,
                      groups=tuple(chosen), generated=generated)


def stage_upload(plan: UploadPlan) -> Path:
    """Hard-link the upload's files into a new ``.<name>.publish-*/`` beside the folder (copy if linking fails).

    Returns the staging folder; the card and ``protocol.json`` there are the view's (``plan.generated``)."""
    import tempfile

    # a folder of its own per upload: two publishes of one build never share (or delete) a staging folder
    staging = Path(tempfile.mkdtemp(prefix=f".{plan.root.name}.publish-", dir=plan.root.parent))
    generated = dict(plan.generated)
    for name, _ in plan.files:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name in generated:
            target.write_bytes(generated[name])
            continue
        try:
            os.link(plan.root / name, target)
        except OSError:
            shutil.copy2(plan.root / name, target)
    return staging


def _one_line(exc: BaseException) -> str:
    """``exc``'s message on one short line, any token-looking string masked."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = _TOKEN_RE.sub("hf_***", text)
    return text if len(text) <= 200 else text[:197] + "..."


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP libraries' connection errors (not all of them are ``OSError``)."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"),
                         ("requests", "ConnectionError"), ("requests", "Timeout")):
        try:
            found.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(found)


@contextmanager
def _hub_errors(repo_id: str, revision: str | None, doing: str = "") -> Iterator[None]:
    """Turn the Hub's and the network's exceptions into one-line :class:`PublishError`\\ s."""
    from huggingface_hub.errors import (HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    where = f"{repo_id}: {doing}"
    owner = repo_id.split("/")[0]
    try:
        yield
    except LocalTokenNotFoundError as exc:
        raise PublishError(f"{where}no Hugging Face token: run `hf auth login` or set HF_TOKEN") from exc
    except RevisionNotFoundError as exc:
        if revision is None:
            raise PublishError(f"{where}the Hub found no main branch (HTTP 404): check --repo-id, "
                               f"or pass --revision BRANCH") from exc
        raise PublishError(f"{where}branch {revision!r} does not exist: create it first "
                           f"(`hf repos branch create {repo_id} {revision} --repo-type dataset`) "
                           f"or drop --revision") from exc
    except RepositoryNotFoundError as exc:
        raise PublishError(f"{where}dataset repository not found or not accessible with this token: "
                           f"check --repo-id and that the token may write to {owner!r}") from exc
    except HfHubHTTPError as exc:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        if status == 401:
            raise PublishError(f"{where}the Hub rejected the token (HTTP 401): run `hf auth login` "
                               f"or set HF_TOKEN to a valid token with write access") from exc
        if status == 403:
            raise PublishError(f"{where}this token may not write to {owner!r} (HTTP 403): use a token "
                               f"with write access (https://huggingface.co/settings/tokens)") from exc
        detail = _one_line(Exception(exc.server_message)) if exc.server_message else _one_line(exc)
        raise PublishError(f"{where}the Hub answered HTTP {status or '?'} ({detail}); "
                           f"re-run the same command to retry") from exc
    except OfflineModeIsEnabled as exc:
        raise PublishError(f"{where}HF_HUB_OFFLINE is set: unset it to publish") from exc
    except Exception as exc:
        if not isinstance(exc, (OSError, *_transport_errors())):
            raise
        raise PublishError(f"{where}cannot reach the Hugging Face Hub ({type(exc).__name__}: "
                           f"{_one_line(exc)}): check the network (and HF_ENDPOINT), then re-run") from exc


def _tag(api: Any, plan: UploadPlan, commit: str) -> str:
    """Put ``plan.tag`` on ``commit`` unless the tag exists; returns the line to print.

    A tag already on another commit is left there (tags name a frozen protocol; moving one
    silently would change what ``revision="protocol-1.0"`` loads): the line says so."""
    from huggingface_hub.errors import HfHubHTTPError

    existing = {ref.name: ref.target_commit for ref in api.list_repo_refs(plan.repo_id, repo_type="dataset").tags}
    if plan.tag not in existing:
        try:
            api.create_tag(plan.repo_id, tag=plan.tag, revision=commit, repo_type="dataset", exist_ok=False,
                           tag_message=plan.commit_message)
            return f"tagged {plan.tag} -> {commit[:12]}"
        except HfHubHTTPError as exc:
            if getattr(getattr(exc, "response", None), "status_code", None) != 409:
                raise
        existing = {ref.name: ref.target_commit  # created meanwhile by someone else
                    for ref in api.list_repo_refs(plan.repo_id, repo_type="dataset").tags}
    target = existing.get(plan.tag, "?")
    if target == commit:
        return f"tag {plan.tag} already on {commit[:12]}"
    return (f"warning: tag {plan.tag} already points to {target[:12]}, not moved to {commit[:12]}: "
            f"if this upload should be {plan.tag}, delete the tag on the Hub and re-run")


def publish(path: str | os.PathLike[str], *, repo_id: str, private: bool = False,
            revision: str | None = None, groups: Sequence[str] | None = None, api: Any = None,
            dry_run: bool = False) -> PublishResult:
    """Upload a dataset folder to the Hub as a dataset repository and tag the protocol.

    Parameters
    ----------
    path : path-like
        The ``nlc-loops/`` folder.
    repo_id : str
        ``OWNER/NAME`` of the dataset repository (created if missing).
    private : bool, default False
        Create the repository private (an existing repository keeps its visibility).
    revision : str or None
        Branch to push to (None: the default branch).
    groups : sequence of str or None
        License groups to upload (None: every group of the build but cc-by-nd and
        cc-by-nc-nd, which are refused). The frozen protocol is always uploaded whole.
    api : HfApi or None
        The client to use (None: ``huggingface_hub.HfApi()`` with the stored token).
    dry_run : bool, default False
        Verify and plan only (:meth:`UploadPlan.describe`); no token is read, ``api`` is not called.

    Raises
    ------
    PublishError
        The Hub refused (no or bad token, no such repository or branch, HTTP error) or could
        not be reached; one line naming the repository and what to do.
    """
    plan = plan_publish(path, repo_id=repo_id, private=private, revision=revision, groups=groups, api=api)
    if dry_run:
        return PublishResult(plan)
    with _hub_errors(repo_id, revision):
        if api is None:
            from huggingface_hub import HfApi, get_token

            if get_token() is None:
                raise PublishError(f"{repo_id}: no Hugging Face token: run `hf auth login` or set HF_TOKEN")
            api = HfApi()
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        staging = stage_upload(plan)
        try:
            info = api.upload_folder(
                repo_id=repo_id, repo_type="dataset", folder_path=str(staging), revision=revision,
                allow_patterns=list(ALLOW_PATTERNS), commit_message=plan.commit_message,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        url = str(getattr(info, "commit_url", info))
        commit = getattr(info, "oid", None) or str(api.repo_info(repo_id, repo_type="dataset", revision=revision).sha)
    with _hub_errors(repo_id, revision, doing=f"uploaded ({url}) but could not tag {plan.tag}: "):
        note = _tag(api, plan, commit)
    return PublishResult(plan, url=url, commit=commit, tag_note=note)
