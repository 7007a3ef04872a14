"""The stimulus manifest: which anonymised clip is which system's pick, group by group.

Written by ``listening-test make`` as ``manifest.json`` beside the clips, read back by
``nlc-bench stats`` (and the server) to turn clip names into systems: it is the answer key
and stays with the experimenter. Clip names (``g01_c3``) are numbered in a seeded random
order within each group, so neither a file name nor its position reveals the system, and
nothing the participant's browser receives names a system.

Two runs of ``make`` with the same number of groups and systems give the same clip names,
so answers could be attributed through the wrong manifest without any unknown clip. The
manifest therefore carries a ``run_id`` (a digest of its answer key) that ``make`` also
writes where the answers come back with it (the webMUSHRA test id), and
:func:`check_answers_cover` refuses a manifest with clips the answers never rate.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Set
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
    run_id: str = ""
    """Digest of the answer key (:func:`run_id_of`); empty in manifests written before it existed."""

    def clip_index(self) -> dict[str, tuple[Group, Clip]]:
        return {c.clip: (g, c) for g in self.groups for c in g.clips}


def run_id_of(manifest: Manifest) -> str:
    """12 hex digits of SHA-256 over the answer key: seed, repetitions, rate, systems, groups and clips.

    The same ``make`` inputs give the same id (and the same clips); another draw, another
    system list or another clip order gives another one."""
    key = manifest.model_dump(include={"seed", "repetitions", "sample_rate", "systems", "groups"})
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def check_answers_cover(manifest: Manifest, clips_by_group: Mapping[str, Set[str]], *, source: str) -> None:
    """Refuse a manifest that has clips the answers never mention, in a group they answer.

    ``clips_by_group``: group -> the clip ids the answers use (each already checked to be in
    the manifest). Every participant of a group rates all its clips, so a manifest clip that
    no answer names means the manifest comes from another ``make`` run (more systems).
    """
    groups = {g.group: g for g in manifest.groups}
    for group_id in sorted(clips_by_group):
        group = groups.get(group_id)
        if group is None:
            raise InputError(f"{source}: group {group_id!r} is not in the manifest: is it the manifest of another "
                             "`listening-test make` run?")
        expected = [c.clip for c in group.clips]
        missing = [c for c in expected if c not in clips_by_group[group_id]]
        if missing:
            raise InputError(f"{source}: the manifest has clip {missing[0]!r} in group {group_id!r} but no answer "
                             f"rates it ({len(expected)} clips in the manifest's group, "
                             f"{len(clips_by_group[group_id])} in the answers): is it the manifest of another "
                             "`listening-test make` run?")


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
