"""``nlc-bench dataset publish``: push an ``nlc-loops/`` folder to the Hugging Face Hub.

The folder is already Hub-ready (card, configs, Parquet shards), so publishing is one
``create_repo``, one ``upload_folder`` and one tag ``protocol-<protocol_version>`` on the new
commit. (``huggingface_hub`` 2.x removed ``upload_large_folder``: its ``upload_folder`` itself
commits a large folder in resumable batches, so one call serves every size.) The token comes from where
``huggingface_hub`` always looks (``HF_TOKEN``, or ``hf auth login``'s stored token) and is
never printed, logged or written by nlc-bench. Before anything is sent the folder is opened
with full verification, so a corrupted shard is never published; ``dry_run=True`` stops
there and only describes the upload (no token, no network). Hub and network failures become
one-line :class:`PublishError` messages saying what to do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlc.errors import InputError, NLCError

from nlc.loops.reader import open_dataset
from nlc.loops.layout import BUILD_REPORT, CARD, DATA_DIR, PROTOCOL_DIR, PROTOCOL_JSON

ALLOW_PATTERNS: tuple[str, ...] = (CARD, PROTOCOL_JSON, BUILD_REPORT, f"{DATA_DIR}/**/*.parquet",
                                   f"{PROTOCOL_DIR}/*.parquet")
"""What is uploaded: the card, the two JSON records and the Parquet shards, nothing else."""

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

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    def describe(self) -> str:
        """The dry-run report: one line per file, then the total and the destination."""
        width = max((len(_size(s)) for _, s in self.files), default=0)
        lines = [f"dry run: {self.root} verified; nothing sent to the Hub",
                 f"would upload {len(self.files)} files to dataset {self.repo_id} "
                 f"(revision {self.revision or 'main'}) with upload_folder:"]
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


def plan_publish(path: str | os.PathLike[str], *, repo_id: str, private: bool = False,
                 revision: str | None = None, api: Any = None) -> UploadPlan:
    """Verify the folder and list what :func:`publish` would send; never contacts the Hub."""
    from huggingface_hub.utils import filter_repo_objects

    root = Path(path)
    check_repo_id(repo_id)
    dataset = open_dataset(root, verify=True)
    if not (root / CARD).is_file():
        raise InputError(f"{root}: no {CARD} dataset card; rebuild the folder with `nlc-bench dataset build`")
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    files = tuple((name, (root / name).stat().st_size)
                  for name in filter_repo_objects(names, allow_patterns=list(ALLOW_PATTERNS)))
    total = dataset.info.counts["splits"]["total"]
    message = (f"nlc-loops: {total['pairs']} pairs, {total['loops']} loops, {total['songs']} songs "
               f"(protocol {dataset.info.protocol_version}, {dataset.info.content_hash[:12]})")
    return UploadPlan(root=root, repo_id=repo_id, revision=revision, private=private, files=files,
                      tag=f"{TAG_PREFIX}{dataset.info.protocol_version}", commit_message=message)


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
            revision: str | None = None, api: Any = None, dry_run: bool = False) -> PublishResult:
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
    plan = plan_publish(path, repo_id=repo_id, private=private, revision=revision, api=api)
    if dry_run:
        return PublishResult(plan)
    with _hub_errors(repo_id, revision):
        if api is None:
            from huggingface_hub import HfApi, get_token

            if get_token() is None:
                raise PublishError(f"{repo_id}: no Hugging Face token: run `hf auth login` or set HF_TOKEN")
            api = HfApi()
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=str(plan.root), revision=revision,
            allow_patterns=list(ALLOW_PATTERNS), commit_message=plan.commit_message,
        )
        url = str(getattr(info, "commit_url", info))
        commit = getattr(info, "oid", None) or str(api.repo_info(repo_id, repo_type="dataset", revision=revision).sha)
    with _hub_errors(repo_id, revision, doing=f"uploaded ({url}) but could not tag {plan.tag}: "):
        note = _tag(api, plan, commit)
    return PublishResult(plan, url=url, commit=commit, tag_note=note)
