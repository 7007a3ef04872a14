"""``nlc-bench dataset publish``: push an ``nlc-loops/`` folder to the Hugging Face Hub.

The folder is already Hub-ready (card, configs, Parquet shards), so publishing is one
``create_repo`` plus one ``upload_folder`` with ``huggingface_hub``. The token comes from
where ``huggingface_hub`` always looks (``HF_TOKEN``, or ``hf auth login``'s stored token)
and is never printed, logged or written by nlc-bench. Before anything is sent the folder
is opened with full verification, so a corrupted shard is never published.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nlc.errors import InputError

from nlc.loops.reader import open_dataset
from nlc.loops.layout import BUILD_REPORT, CARD, DATA_DIR, PROTOCOL_DIR, PROTOCOL_JSON

ALLOW_PATTERNS: tuple[str, ...] = (CARD, PROTOCOL_JSON, BUILD_REPORT, f"{DATA_DIR}/**/*.parquet",
                                   f"{PROTOCOL_DIR}/*.parquet")
"""What is uploaded: the card, the two JSON records and the Parquet shards, nothing else."""


def check_repo_id(repo_id: str) -> str:
    """Reject a repo id that is not ``owner/name``."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or any(" " in p for p in parts):
        raise InputError(f"--repo-id {repo_id!r}: expected OWNER/NAME, e.g. my-org/nlc-loops")
    return repo_id


def publish(path: str | os.PathLike[str], *, repo_id: str, private: bool = False,
            revision: str | None = None, api: Any = None) -> str:
    """Upload a dataset folder to the Hub as a dataset repository; returns the commit URL.

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
    """
    root = Path(path)
    check_repo_id(repo_id)
    dataset = open_dataset(root, verify=True)
    if not (root / CARD).is_file():
        raise InputError(f"{root}: no {CARD} dataset card; rebuild the folder with `nlc-bench dataset build`")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    total = dataset.info.counts["splits"]["total"]
    commit = api.upload_folder(
        repo_id=repo_id, repo_type="dataset", folder_path=str(root), revision=revision,
        allow_patterns=list(ALLOW_PATTERNS),
        commit_message=(f"nlc-loops: {total['pairs']} pairs, {total['loops']} loops, {total['songs']} songs "
                        f"(protocol {dataset.info.protocol_version}, {dataset.info.content_hash[:12]})"),
    )
    return str(getattr(commit, "commit_url", commit))
