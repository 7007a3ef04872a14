"""The stimulus manifest: which anonymised clip is which system's pick, group by group.

Written by ``listening-test make`` as ``manifest.json`` beside the clips, read back by the
webMUSHRA bridge to turn clip names into systems. Clip names (``g01_c3``) are numbered in
a seeded random order within each group, so neither a file name nor its position reveals
the system.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nlc.atomic import write_text
from nlc.errors import InputError

MANIFEST_NAME: str = "manifest.json"


class Clip(BaseModel):
    clip: str
    """Anonymised clip name, unique over the whole test (``g01_c3``)."""
    file: str
    """WAV path relative to the manifest's folder."""
    system: str
    target_id: str
    """Global loop id of the target mixed with the source."""


class Group(BaseModel):
    group: str
    source_type: str
    source_id: str
    source_role: str
    clips: list[Clip]


class Manifest(BaseModel):
    format_version: int = 1
    seed: int
    repetitions: int
    sample_rate: int
    systems: list[str]
    groups: list[Group]
    dataset: str = ""
    results: dict[str, str] = {}
    """System name -> results file it came from."""
    notes: list[str] = []

    def clip_index(self) -> dict[str, tuple[Group, Clip]]:
        return {c.clip: (g, c) for g in self.groups for c in g.clips}


def save_manifest(manifest: Manifest, folder: str | os.PathLike[str]) -> Path:
    return write_text(Path(folder) / MANIFEST_NAME, manifest.model_dump_json(indent=2))


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read ``manifest.json`` (or a folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"{path}: no such manifest")
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        return Manifest.model_validate(raw)
    except (json.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"{path}: not a listening-test manifest ({first})") from None
