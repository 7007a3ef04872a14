"""Corpus B: the lmms demo and shortie projects, rendered by the real lmms.

Every ``.mmp``/``.mmpz`` under the project folders (Debian's ``lmms-common`` ships them
in ``/usr/share/lmms/projects/{demos,shorties}``) gets a track id (1, 2, ... in sorted
path order, so ids are stable) and is rendered headless::

    QT_QPA_PLATFORM=offscreen lmms --allowroot render SONG -o mix.wav -f wav
    QT_QPA_PLATFORM=offscreen lmms --allowroot rendertracks SONG -o DIR/ -f wav

into ``fma_full/NNN/NNNNNN.wav`` (the mix, as lmms wrote it: stereo 16-bit 44.1 kHz) and
``ground_truth/NNNNNN/stems/NN_<track>.wav`` (one file per track). ``truth.json`` holds
the project's tempo, downbeats on a 4-beat grid from t = 0, the stems as ``loops``
(``bars`` is null: tracks are not loops) and a per-bar stem activity ``layout`` from the
stems' bar energies. Metadata: artist/title from the file name, license from Debian's
``copyright``. A song that fails (lmms error, timeout, silent or missing output) is
reported in ``corpus_report.json`` and skipped; a re-run renders only what is missing.

The mix is all the dataset build needs (measured 2-171 s per song); the stems are ground truth
for the extraction-quality bench only, and ``rendertracks`` plays the whole song once per
track, so a project with dozens of tracks takes many minutes. Stems therefore degrade
gracefully: when ``rendertracks`` fails or runs past what is left of the per-song limit,
or with ``stems=False``, the song keeps its mix and a ``truth.json`` with tempo and
downbeats from the project, ``loops: []``, no ``layout`` and ``stems_missing: true`` plus
the reason (:func:`~nlc.dataset_builder.corpus.truth.has_stems` is what stem-based
benches check). ``retry_stems=True`` renders such songs again. ``only_cc`` and ``names``
render a subset (e.g. the Creative Commons projects, the only publishable ones, first);
track ids always come from the full sorted project list, so a subset never renumbers.

``corpus.json`` (:func:`~nlc.dataset_builder.corpus.synth.write_corpus_record`) records what
the corpus is for the dataset build: kind ``lmms``, the LMMS version that rendered it and the
rendered projects; it holds no times, so the build report made from it stays deterministic.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from nlc.atomic import atomic_dir, atomic_path
from nlc.dataset_builder.corpus.synth import CORPUS_JSON, write_corpus_record
from nlc.dataset_builder.corpus.lmms_project import (DEBIAN_COPYRIGHT, INSTALLED_PROJECTS, artist_title,
                                                     project_license, read_project)
from nlc.dataset_builder.corpus.truth import bar_activity, has_stems, truth_dir, write_truth
from nlc.dataset_builder.fma_metadata import (HIPHOP_GENRE_ID, TRACKS_CSV, audio_path, track_id_str,
                                              write_tracks_csv)
from nlc.dataset_builder.build.license_groups import license_group
from nlc.errors import InputError, NLCError
from nlc.spec import SAMPLE_RATE

DEFAULT_PROJECT_DIRS: tuple[str, ...] = ("/usr/share/lmms/projects/demos", "/usr/share/lmms/projects/shorties")
BEATS_PER_BAR: int = 4
_DRUM = re.compile(r"kick|bd|bass ?drum|snare|sd\b|hat|hh|clap|perc|drum|cymbal|crash|ride|tom|rim|beat|shaker", re.I)
_BASS = re.compile(r"bass", re.I)


class RenderError(NLCError):
    """lmms could not render a project (carries the one-line reason)."""


def find_projects(dirs: list[str] | tuple[str, ...]) -> list[Path]:
    """All ``.mmp``/``.mmpz`` files under ``dirs`` (recursively; files may be given directly), sorted."""
    found: set[Path] = set()
    for d in dirs:
        p = Path(d)
        if p.is_file():
            found.add(p)
        elif p.is_dir():
            found.update(f for f in p.rglob("*") if f.suffix.lower() in (".mmp", ".mmpz") and f.is_file())
        else:
            raise InputError(f"{d}: no such project folder or file")
    return sorted(found)


def guess_role(track_name: str) -> str:
    """``drum``, ``bass`` or ``other`` from an lmms track name (a heuristic; lmms has no roles)."""
    if _BASS.search(track_name) and not re.search(r"bass ?drum", track_name, re.I):
        return "bass"
    return "drum" if _DRUM.search(track_name) else "other"


def _run_lmms(lmms: str, args: list[str], *, timeout_s: float) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        proc = subprocess.run([lmms, "--allowroot", *args], env=env, capture_output=True, timeout=timeout_s,
                              check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"lmms {args[0]} ran past the per-song time limit") from exc
    except FileNotFoundError as exc:
        raise RenderError(f"{lmms} not found (apt-get install lmms)") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
        raise RenderError(f"lmms {args[0]} exited {proc.returncode}: {tail[-1] if tail else 'no output'}")


def lmms_version(lmms: str, *, timeout_s: float = 10.0) -> str:
    """The version ``lmms --version`` prints (``"1.2.2"``), or ``"unknown"`` if it prints none.

    Recorded in ``corpus.json`` because another LMMS renders the same project to other
    samples; a missing or broken executable is not an error here (the renders report it).
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        proc = subprocess.run([lmms, "--allowroot", "--version"], env=env, capture_output=True, timeout=timeout_s,
                              check=False, stdin=subprocess.DEVNULL)
    except (subprocess.TimeoutExpired, OSError):
        return "unknown"
    match = re.search(r"^LMMS\s+(\S+)", proc.stdout.decode(errors="replace"), re.MULTILINE)
    return match.group(1) if match else "unknown"


def lmms_record(out: Path, projects: list[Path], *, version: str | None) -> dict[str, Any]:
    """The ``corpus.json`` of an lmms corpus holding the rendered ``projects``.

    ``version`` is the LMMS that rendered songs in this run (None: none rendered now); the
    versions of earlier runs, read from the existing record, are kept beside it, so a corpus
    rendered partly by two LMMS versions says so.
    """
    versions: set[str] = set()
    try:
        previous = json.loads((out / CORPUS_JSON).read_text(encoding="utf-8"))
        versions.update(v for v in str(previous.get("lmms_version", "")).split(", ") if v)
    except (OSError, ValueError, AttributeError):
        pass  # no record yet (or an unreadable one, which this run replaces)
    if version is not None:
        versions.add(version)
    names = sorted(p.name for p in projects)
    return {"kind": "lmms", "lmms_version": ", ".join(sorted(versions)) or "unknown", "projects": names,
            "songs": len(names)}


def _stem_name(index: int, raw: str) -> str:
    body = re.sub(r"^\d+_", "", Path(raw).stem)
    body = re.sub(r"[^A-Za-z0-9]+", "-", body).strip("-").lower() or "track"
    return f"{index:02d}_{body}"


def _track_order(path: Path) -> int:
    """Sort key of an lmms rendertracks file: its leading track number (files without one last)."""
    match = re.match(r"(\d+)", path.name)
    return int(match.group(1)) if match else 10**6


def _render_stems(lmms: str, project: Path, tmp: Path, *, timeout_s: float) -> list[Path]:
    """Per-track WAVs of ``project`` in lmms's track order; raises RenderError when none come out."""
    (tmp / "tracks").mkdir()
    _run_lmms(lmms, ["rendertracks", str(project), "-o", str(tmp / "tracks") + "/", "-f", "wav"], timeout_s=timeout_s)
    raw = sorted((tmp / "tracks").glob("*.wav"), key=_track_order)
    if not raw:
        raise RenderError("lmms rendertracks wrote no track files")
    return raw


def render_project(project: Path, out: Path, track_id: int, *, lmms: str, timeout_s: float,
                   stems: bool = True) -> dict[str, Any]:
    """Render one project into ``out`` (mix, stems, truth); returns the truth dict.

    ``timeout_s`` (seconds) bounds render and rendertracks together. A failed or too slow
    mix raises :class:`RenderError`; failed or too slow stems (or ``stems=False``) leave a
    song without stems, marked ``stems_missing`` with ``stems_reason`` in its truth.
    """
    info = read_project(project)
    final = truth_dir(out, track_id)
    with tempfile.TemporaryDirectory(dir=out, prefix=f".render-{track_id_str(track_id)}-") as tmp_name:
        tmp = Path(tmp_name)
        deadline = time.monotonic() + timeout_s  # one budget for the whole song
        _run_lmms(lmms, ["render", str(project), "-o", str(tmp / "mix.wav"), "-f", "wav"], timeout_s=timeout_s)
        if not (tmp / "mix.wav").is_file():
            raise RenderError("lmms render wrote no mix.wav")
        mix, sr = sf.read(tmp / "mix.wav", dtype="float32", always_2d=True)
        if sr != SAMPLE_RATE or mix.size == 0 or float(np.max(np.abs(mix))) < 1e-4:
            raise RenderError(f"mix is empty, silent or not {SAMPLE_RATE} Hz (sr={sr}, {mix.shape[0]} samples)")
        raw: list[Path] = []
        stems_reason = "stems not requested (--no-stems)"
        if stems:
            try:
                raw = _render_stems(lmms, project, tmp, timeout_s=max(deadline - time.monotonic(), 1.0))
            except RenderError as exc:
                stems_reason = f"stems not rendered: {exc}"
        bar_s = BEATS_PER_BAR * 60.0 / info.tempo
        n_bars = max(1, int(np.ceil(mix.shape[0] / SAMPLE_RATE / bar_s - 1e-6)))
        starts = np.round(np.arange(n_bars + 1) * bar_s * SAMPLE_RATE).astype(np.int64)
        final.parent.mkdir(parents=True, exist_ok=True)
        with atomic_dir(final, staging_parent=tmp) as part:  # replaces the song's truth folder last
            audio_stems, loops = [], []
            for i, path in enumerate(raw, start=1):
                audio, _ = sf.read(path, dtype="float32", always_2d=True)
                audio_stems.append(audio.mean(axis=1))
                name = _stem_name(i, path.name)
                (part / "stems").mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), part / "stems" / f"{name}.wav")
                track = re.sub(r"^\d+_", "", path.stem)
                loops.append({"name": name, "track": track, "role": guess_role(track), "stem": f"stems/{name}.wav",
                              "bars": None})
            truth: dict[str, Any] = {
                "track_id": track_id, "corpus": "lmms", "project": str(project),
                "tempo": info.tempo, "time_signature": list(info.timesig), "beats_per_bar": BEATS_PER_BAR,
                "sample_rate": SAMPLE_RATE, "n_bars": n_bars,
                "downbeats": [round(b * bar_s, 6) for b in range(n_bars)],
                "duration": round(mix.shape[0] / SAMPLE_RATE, 6),
                "loops": loops,
            }
            if raw:
                layout = bar_activity(audio_stems, starts)
                truth["layout"] = layout.astype(int).tolist()
                truth["silent_stems"] = [lp["name"] for lp, col in zip(loops, layout.T) if not col.any()]
            else:
                truth.update(stems_missing=True, stems_reason=stems_reason, tracks=list(info.tracks))
            write_truth(part, truth)
            with atomic_path(audio_path(out, track_id, ext="wav")) as dest:
                shutil.move(str(tmp / "mix.wav"), dest)  # the mix exactly as lmms wrote it
    return truth


def is_cc(project: Path, *, copyright_path: str | os.PathLike[str] = DEBIAN_COPYRIGHT,
          installed_root: str | os.PathLike[str] = INSTALLED_PROJECTS) -> bool:
    """Whether a project's license falls in one of the dataset's Creative Commons groups
    (the build keeps only those); a project whose license is unknown is not."""
    try:
        _, title = project_license(project, copyright_path=copyright_path, installed_root=installed_root)
    except InputError:
        return False
    return license_group(title) is not None


def _selected(project: Path, names: list[str] | tuple[str, ...] | None) -> bool:
    if not names:
        return True
    stem = re.sub(r"\.mmpz?$", "", project.name, flags=re.IGNORECASE)
    return any(fnmatch.fnmatch(project.name, n) or fnmatch.fnmatch(stem, n) for n in names)


def lmms_row(project: Path, truth: dict[str, Any], *, copyright_path: str | os.PathLike[str] = DEBIAN_COPYRIGHT,
             installed_root: str | os.PathLike[str] = INSTALLED_PROJECTS) -> dict[tuple[str, str], Any]:
    """The FMA-shaped tracks.csv row of a rendered project."""
    artist, title = artist_title(project)
    short, license_ = project_license(project, copyright_path=copyright_path, installed_root=installed_root)
    return {
        ("artist", "name"): artist, ("track", "title"): title, ("track", "license"): license_,
        ("track", "genre_top"): "Hip-Hop", ("track", "genres"): [HIPHOP_GENRE_ID],
        ("track", "genres_all"): [HIPHOP_GENRE_ID], ("track", "duration"): int(round(truth["duration"])),
        ("track", "bit_rate"): 2 * 16 * SAMPLE_RATE, ("track", "tags"): ["lmms", short],
        ("track", "composer"): artist, ("album", "title"): f"LMMS {project.parent.name}", ("album", "tags"): [],
        ("artist", "tags"): [], ("set", "subset"): "large", ("set", "split"): "training",
    }


def build_lmms_corpus(out: str | os.PathLike[str], *, projects_dir: list[str] | tuple[str, ...] = DEFAULT_PROJECT_DIRS,
                      timeout_s: float = 900.0, lmms: str = "lmms", stems: bool = True, retry_stems: bool = False,
                      only_cc: bool = False, names: list[str] | tuple[str, ...] | None = None,
                      copyright_path: str | os.PathLike[str] = DEBIAN_COPYRIGHT,
                      installed_root: str | os.PathLike[str] = INSTALLED_PROJECTS,
                      progress: bool = True) -> dict[str, Any]:
    """Render the lmms projects under ``projects_dir`` into the corpus ``out`` (resumable).

    Parameters
    ----------
    out : path-like
        Corpus folder (created if missing). One command writes it at a time: stale
        ``.render-*`` folders of a killed run are removed first.
    timeout_s : float, default 900
        Per-song limit in seconds for render + rendertracks together.
    stems : bool, default True
        Render per-track stems; False keeps only the mix (marked ``stems_missing``).
    retry_stems : bool, default False
        Render again the finished songs that have no stems (needs ``stems``).
    only_cc : bool, default False
        Render only projects whose Debian license maps to a Creative Commons group.
    names : list of str or None
        Render only projects whose file name or stem matches one of these shell patterns.

    Returns
    -------
    dict
        The report also written to ``out/corpus_report.json``: ``done``, ``skipped``
        (already rendered), ``not_selected`` (left out by ``only_cc``/``names``),
        ``failed`` (``{project: reason}``), ``stems_missing`` (``{project: reason}``, songs
        rendered now without stems), ``seconds_per_song``, ``seconds``, ``n_finished``.
        ``out/corpus.json`` records the corpus itself (:func:`lmms_record`).
    """
    from tqdm import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".render-*"):
        shutil.rmtree(stale, ignore_errors=True)
    projects = find_projects(projects_dir)
    if not projects:
        raise InputError(f"no .mmp/.mmpz projects under {list(projects_dir)}")
    lic = {"copyright_path": copyright_path, "installed_root": installed_root}
    report: dict[str, Any] = {"corpus": "lmms", "done": [], "skipped": [], "not_selected": [], "failed": {},
                              "stems_missing": {}, "seconds_per_song": {}}
    start = time.perf_counter()

    def finished(tid: int, project: Path) -> bool:
        if not _rendered(out, tid, project):
            return False
        return not (retry_stems and stems and not has_stems(json.loads((truth_dir(out, tid) / "truth.json").read_text())))

    try:
        chosen = [(tid, p) for tid, p in enumerate(projects, start=1)
                  if _selected(p, names) and (not only_cc or is_cc(p, **lic))]
        report["not_selected"] = sorted({p.name for p in projects} - {p.name for _, p in chosen})
        bar = tqdm(chosen, desc="lmms songs", unit="song", disable=not progress)
        for tid, project in bar:
            bar.set_postfix_str(project.name[:30])
            if finished(tid, project):
                report["skipped"].append(project.name)
                continue
            t0 = time.perf_counter()
            try:
                truth = render_project(project, out, tid, lmms=lmms, timeout_s=timeout_s, stems=stems)
            except (RenderError, InputError, OSError, sf.LibsndfileError) as exc:
                report["failed"][str(project)] = str(exc)
                continue
            report["done"].append(project.name)
            report["seconds_per_song"][project.name] = round(time.perf_counter() - t0, 2)
            if not has_stems(truth):
                report["stems_missing"][project.name] = truth["stems_reason"]
    finally:
        rows = {tid: lmms_row(p, json.loads((truth_dir(out, tid) / "truth.json").read_text()), **lic)
                for tid, p in enumerate(projects, start=1) if _rendered(out, tid, p)}
        if rows:
            write_tracks_csv(out / TRACKS_CSV, rows)
            version = lmms_version(lmms, timeout_s=min(timeout_s, 10.0)) if report["done"] else None
            write_corpus_record(out, lmms_record(out, [p for tid, p in enumerate(projects, start=1) if tid in rows],
                                                 version=version))
        report["seconds"] = round(time.perf_counter() - start, 2)
        report["n_finished"] = len(rows)
        (out / "corpus_report.json").write_text(json.dumps(report, indent=1))
    return report


def _rendered(out: Path, tid: int, project: Path) -> bool:
    """Mix and truth of ``project`` are on disk (with or without stems)."""
    tfile = truth_dir(out, tid) / "truth.json"
    return (tfile.is_file() and audio_path(out, tid, ext="wav").is_file()
            and json.loads(tfile.read_text()).get("project") == str(project))
