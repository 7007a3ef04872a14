"""Fixtures shared by every subsystem's tests.

``tiny_dataset``: a complete ``nlc-loops/`` folder (20 songs, 3-4 loops each, three
license groups: cc-by, cc-by-nc-sa, cc0; 4 test pairs, so ranking has 4 queries x 4
candidates) built in a few seconds by
:func:`nlc.dataset_builder.build.synthetic_records.build_synthetic_dataset`: synthesised loops
recorded as finished songs and released by the real build code (pairs table, splits,
frozen protocol, Parquet shards, card); only loop extraction is bypassed. Open it with
``nlc.loops.reader.open_dataset(tiny_dataset)``; it is shared by the whole
session, so copy it (``shutil.copytree``) before modifying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlc.dataset_builder.build.synthetic_records import build_synthetic_dataset


def build_tiny_dataset(out: Path, *, work_root: Path, **kwargs: Any) -> Path:
    """The tiny dataset at ``out`` (its work folder at ``work_root``); ``kwargs`` go to
    :func:`~nlc.dataset_builder.build.synthetic_records.build_synthetic_dataset`."""
    return build_synthetic_dataset(out, work_root=work_root, **kwargs)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a small complete ``nlc-loops/`` folder (see the module docstring)."""
    root = tmp_path_factory.mktemp("tiny")
    return build_tiny_dataset(root / "nlc-loops", work_root=root / "nlc-loops.work")
