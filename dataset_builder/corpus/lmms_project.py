"""Reading lmms project files (``.mmp`` XML, ``.mmpz`` compressed XML) and their licenses.

An ``.mmpz`` file is Qt's ``qCompress`` of the XML: a 4-byte big-endian length of the
uncompressed data followed by a zlib stream. The tempo is ``<head bpm="...">`` (or, when
automated, the value of the ``<bpm>`` child of ``<head>``); the time signature is
``timesig_numerator``/``timesig_denominator``. Artist and title come from the file name
(``Alf42red-Mauiwowi`` -> artist ``Alf42red``, title ``Mauiwowi``); the license of every
shipped project comes from Debian's machine-readable ``copyright`` file of lmms-common.
"""

from __future__ import annotations

import fnmatch
import os
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from nlc.dataset_builder.corpus.fma_license_strings import fma_license_from_debian
from nlc.errors import InputError

DEBIAN_COPYRIGHT: Path = Path("/usr/share/doc/lmms-common/copyright")
INSTALLED_PROJECTS: Path = Path("/usr/share/lmms/projects")
SOURCE_PROJECTS: str = "data/projects"
"""Where the projects live in lmms's source tree, which the copyright file's globs name."""


@dataclass(frozen=True)
class ProjectInfo:
    """What nlc-bench needs from a project file."""

    tempo: float  # BPM
    timesig: tuple[int, int]
    tracks: tuple[str, ...]  # names of the song-editor tracks, in order


def project_xml(path: str | os.PathLike[str]) -> bytes:
    """The XML bytes of an ``.mmp`` or ``.mmpz`` file."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix.lower() != ".mmpz":
        return data
    if len(data) < 5:
        raise InputError(f"{path}: too short for a compressed lmms project")
    (length,) = struct.unpack(">I", data[:4])
    try:
        xml = zlib.decompress(data[4:])
    except zlib.error as exc:
        raise InputError(f"{path}: not qCompress'd XML ({exc})") from exc
    if len(xml) != length:
        raise InputError(f"{path}: header says {length} bytes, zlib gave {len(xml)}")
    return xml


def read_project(path: str | os.PathLike[str]) -> ProjectInfo:
    """Tempo (BPM), time signature and track names of an lmms project."""
    try:
        root = ElementTree.fromstring(project_xml(path))
    except ElementTree.ParseError as exc:
        raise InputError(f"{path}: malformed project XML ({exc})") from exc
    head = root.find("head")
    if head is None:
        raise InputError(f"{path}: no <head> element")
    bpm = head.get("bpm")
    bpm_element = head.find("bpm")
    if bpm is None and bpm_element is not None:
        bpm = bpm_element.get("value")
    if bpm is None:
        raise InputError(f"{path}: no tempo in <head>")
    timesig = (int(head.get("timesig_numerator", 4)), int(head.get("timesig_denominator", 4)))
    song_tracks = root.find("song/trackcontainer")
    names = tuple(t.get("name", "") for t in song_tracks.findall("track")) if song_tracks is not None else ()
    return ProjectInfo(tempo=float(bpm), timesig=timesig, tracks=names)


def artist_title(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Artist and title from a project's file name: ``Artist-Title`` (first dash), else
    the whole stem is the title and the artist is ``"LMMS"``."""
    stem = Path(path).name
    stem = re.sub(r"\.mmpz?$", "", stem, flags=re.IGNORECASE)
    artist, sep, title = stem.partition("-")
    if not sep or not artist or not title:
        return "LMMS", stem
    return artist, title.replace("-", " ")


def parse_copyright(text: str) -> list[tuple[tuple[str, ...], str]]:
    """``(file globs, short license)`` of each ``Files:`` paragraph of a Debian
    machine-readable copyright file, in file order (the last match wins)."""
    stanzas = []
    for para in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in para.splitlines():
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip()
                fields[key] = value.strip()
        if "Files" in fields and "License" in fields:
            globs = tuple(g for g in fields["Files"].split() if g)
            license_ = fields["License"].splitlines()[0].strip()
            stanzas.append((globs, license_))
    return stanzas


def project_license(path: str | os.PathLike[str], *, copyright_path: str | os.PathLike[str] = DEBIAN_COPYRIGHT,
                    installed_root: str | os.PathLike[str] = INSTALLED_PROJECTS) -> tuple[str, str]:
    """``(debian short name, FMA-style title)`` of an installed project's license.

    The project's path under ``installed_root`` is mapped to ``data/projects/...`` and
    matched against every ``Files:`` glob (``*`` also crosses ``/``, as Debian specifies);
    the last matching paragraph wins.
    """
    try:
        rel = Path(path).resolve().relative_to(Path(installed_root).resolve())
    except ValueError as exc:
        raise InputError(f"{path}: not under {installed_root}, so its license is unknown") from exc
    source = f"{SOURCE_PROJECTS}/{rel.as_posix()}"
    try:
        stanzas = parse_copyright(Path(copyright_path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{copyright_path}: unreadable ({exc})") from exc
    short = None
    for globs, license_ in stanzas:
        if any(fnmatch.fnmatchcase(source, g) for g in globs):
            short = license_
    if short is None:
        raise InputError(f"{copyright_path}: no Files: paragraph matches {source}")
    return short, fma_license_from_debian(short)
