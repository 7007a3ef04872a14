"""The build's work folder: one atomic record per finished song, so a build can resume.

A dataset build may be killed at any moment (Ctrl-C, a lost cluster node, a time-limited
job). Everything a finished song produced is kept here, outside the published folder,
and a re-run only processes the songs that have no record yet. Records are written by
one process (the build's client) through a temporary folder and a rename
(:func:`nlc.atomic.atomic_dir`), so a record either exists completely or not at all::

    WORK/
      settings.json                 # what the songs were processed with, code fingerprint included
      songs/<song_id>/loops/*.wav   # a finished song: its loops as canonical WAV bytes ...
      songs/<song_id>/pairs.csv
      songs/<song_id>/summary.json
      songs/<song_id>/layout.npy
      songs/<song_id>/roles.json    # ... plus its loops' instrumentation roles
      failed/<song_id>.json         # {"song_id", "reason"} of a song that could not be used
      tmp/                          # half-written records (deleted on the next run)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nlc import atomic
from nlc.errors import InputError

SONGS_DIR = "songs"
FAILED_DIR = "failed"
TMP_DIR = "tmp"
SETTINGS_FILE = "settings.json"
CODE_KEY = "code"
"""Settings entry holding the fingerprint of the code that makes the records."""
ROLES_FILE = "roles.json"


def default_work_dir(out: str | os.PathLike[str]) -> Path:
    """The work folder used when none is given: ``<out>.work`` beside the dataset folder."""
    out = Path(out)
    return out.with_name(out.name + ".work")



class WorkDir:
    """Records of finished and failed songs of one build (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.songs = self.root / SONGS_DIR
        self.failed = self.root / FAILED_DIR
        self.tmp = self.root / TMP_DIR

    def prepare(self, settings: Mapping[str, Any]) -> int:
        """Create the folder, or check that an existing one was made with the same settings.

        Resuming with other extraction settings would mix songs processed two ways, so it
        is refused (InputError naming the folder) rather than silently done. When only the
        ``code`` entry differs (the extraction code changed since), the records can never
        be reused consistently: they are discarded and the songs processed again. Returns
        the number of records discarded that way (0 otherwise).
        """
        for folder in (self.songs, self.failed, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)  # leftovers of a killed run
        self.tmp.mkdir(exist_ok=True)
        for old in self.songs.glob(".*"):  # a replaced record a killed run had not deleted yet
            shutil.rmtree(old, ignore_errors=True)
        settings_path = self.root / SETTINGS_FILE
        wanted = json.loads(json.dumps(dict(settings), sort_keys=True))
        discarded = 0
        if settings_path.is_file():
            found = json.loads(settings_path.read_text())
            changed = sorted(k for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
            if changed == [CODE_KEY]:
                discarded = len(self.done_ids())
                for folder in (self.songs, self.failed):
                    shutil.rmtree(folder)
                    folder.mkdir()
            elif changed:
                raise InputError(
                    f"{self.root}: work folder was made with other settings ({', '.join(changed)}); "
                    "use the same settings or another --work-dir")
        atomic.write_json(settings_path, wanted)
        return discarded

    def done_ids(self) -> set[str]:
        """Song ids with a complete record (finished or failed)."""
        failed = {p.stem for p in self.failed.glob("*.json")} if self.failed.is_dir() else set()
        return set(self.finished_ids()) | failed

    def finished_ids(self) -> list[str]:
        """Sorted ids of songs that produced loops."""
        if not self.songs.is_dir():
            return []
        return sorted(p.name for p in self.songs.iterdir() if p.is_dir() and not p.name.startswith("."))

    def failures(self) -> dict[str, str]:
        """``{song_id: reason}`` of every failed song, sorted by id."""
        out = {}
        for path in sorted(self.failed.glob("*.json")):
            out[path.stem] = json.loads(path.read_text())["reason"]
        return out

    def song_dir(self, song_id: str) -> Path:
        return self.songs / song_id

    def store_song(self, song_id: str, files: Mapping[str, bytes], *, roles: Mapping[str, str]) -> Path:
        """Record a finished song from its files (relative path -> bytes) and loop roles.

        Each file is written once, as given (the loops are already canonical WAV bytes),
        into a staging folder in ``tmp/``; the song folder appears by one rename
        (:func:`nlc.atomic.atomic_dir`), so a kill at any point leaves either no record
        or a complete one.
        """
        final = self.song_dir(song_id)
        with atomic.atomic_dir(final, staging_parent=self.tmp) as staging:
            for rel, data in files.items():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            (staging / ROLES_FILE).write_text(json.dumps(dict(roles), indent=2, sort_keys=True) + "\n")
        (self.failed / f"{song_id}.json").unlink(missing_ok=True)
        return final

    def store_failure(self, song_id: str, reason: str) -> Path:
        """Record that a song could not be used, with a one-line reason."""
        return atomic.write_json(self.failed / f"{song_id}.json", {"song_id": song_id, "reason": reason})

    def forget_failures(self) -> int:
        """Delete the failure records so that a re-run retries those songs; returns how many."""
        paths = list(self.failed.glob("*.json"))
        for path in paths:
            path.unlink()
        return len(paths)
