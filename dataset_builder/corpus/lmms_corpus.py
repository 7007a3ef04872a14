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
"""

from __future__ import annotations

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

from nlc.dataset_builder.corpus.lmms_project import artist_title, project_license, read_project
from nlc.dataset_builder.corpus.truth import bar_activity, truth_dir, write_truth
from nlc.dataset_builder.fma_metadata import (HIPHOP_GENRE_ID, TRACKS_CSV, audio_path, track_id_str,
                                              write_tracks_csv)
from nlc.errors import InputError
from nlc.features import SAMPLE_RATE

DEFAULT_PROJECT_DIRS: tuple[str, ...] = ("/usr/share/lmms/projects/demos", "/usr/share/lmms/projects/shorties")
BEATS_PER_BAR: int = 4
_DRUM = re.compile(r"kick|bd|bass ?drum|snare|sd\b|hat|hh|clap|perc|drum|cymbal|crash|ride|tom|rim|beat|shaker", re.I)
_BASS = re.compile(r"bass", re.I)


class RenderError(Exception):
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


def _stem_name(index: int, raw: str) -> str:
    body = re.sub(r"^\d+_", "", Path(raw).stem)
    body = re.sub(r"[^A-Za-z0-9]+", "-", body).strip("-").lower() or "track"
    return f"{index:02d}_{body}"


def render_project(project: Path, out: Path, track_id: int, *, lmms: str, timeout_s: float) -> dict[str, Any]:
    """Render one project into ``out`` (mix, stems, truth); returns the truth dict."""
    info = read_project(project)
    final = truth_dir(out, track_id)
    with tempfile.TemporaryDirectory(dir=out, prefix=f".render-{track_id_str(track_id)}-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "tracks").mkdir()
        deadline = time.monotonic() + timeout_s  # one budget for the whole song
        _run_lmms(lmms, ["render", str(project), "-o", str(tmp / "mix.wav"), "-f", "wav"], timeout_s=timeout_s)
        _run_lmms(lmms, ["rendertracks", str(project), "-o", str(tmp / "tracks") + "/", "-f", "wav"],
                  timeout_s=max(deadline - time.monotonic(), 1.0))
        if not (tmp / "mix.wav").is_file():
            raise RenderError("lmms render wrote no mix.wav")
        mix, sr = sf.read(tmp / "mix.wav", dtype="float32", always_2d=True)
        if sr != SAMPLE_RATE or mix.size == 0 or float(np.max(np.abs(mix))) < 1e-4:
            raise RenderError(f"mix is empty, silent or not {SAMPLE_RATE} Hz (sr={sr}, {mix.shape[0]} samples)")
        raw = sorted((tmp / "tracks").glob("*.wav"), key=lambda p: int(re.match(r"(\d+)", p.name).group(1))
                     if re.match(r"\d+", p.name) else 10**6)
        if not raw:
            raise RenderError("lmms rendertracks wrote no track files")
        bar_s = BEATS_PER_BAR * 60.0 / info.tempo
        n_bars = max(1, int(np.ceil(mix.shape[0] / SAMPLE_RATE / bar_s - 1e-6)))
        starts = np.round(np.arange(n_bars + 1) * bar_s * SAMPLE_RATE).astype(np.int64)
        part = tmp / "truth"
        stems, loops = [], []
        for i, path in enumerate(raw, start=1):
            audio, _ = sf.read(path, dtype="float32", always_2d=True)
            stems.append(audio.mean(axis=1))
            name = _stem_name(i, path.name)
            (part / "stems").mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), part / "stems" / f"{name}.wav")
            track = re.sub(r"^\d+_", "", path.stem)
            loops.append({"name": name, "track": track, "role": guess_role(track), "stem": f"stems/{name}.wav",
                          "bars": None})
        layout = bar_activity(stems, starts)
        truth = {
            "track_id": track_id, "corpus": "lmms", "project": str(project),
            "tempo": info.tempo, "time_signature": list(info.timesig), "beats_per_bar": BEATS_PER_BAR,
            "sample_rate": SAMPLE_RATE, "n_bars": n_bars,
            "downbeats": [round(b * bar_s, 6) for b in range(n_bars)],
            "duration": round(mix.shape[0] / SAMPLE_RATE, 6),
            "loops": loops, "layout": layout.astype(int).tolist(),
            "silent_stems": [lp["name"] for lp, col in zip(loops, layout.T) if not col.any()],
        }
        write_truth(part, truth)
        dest = audio_path(out, track_id, ext="wav")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / "mix.wav", dest)
        shutil.rmtree(final, ignore_errors=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
    return truth


def lmms_row(project: Path, truth: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The FMA-shaped tracks.csv row of a rendered project."""
    artist, title = artist_title(project)
    short, license_ = project_license(project)
    return {
        ("artist", "name"): artist, ("track", "title"): title, ("track", "license"): license_,
        ("track", "genre_top"): "Hip-Hop", ("track", "genres"): [HIPHOP_GENRE_ID],
        ("track", "genres_all"): [HIPHOP_GENRE_ID], ("track", "duration"): int(round(truth["duration"])),
        ("track", "bit_rate"): 2 * 16 * SAMPLE_RATE, ("track", "tags"): ["lmms", short],
        ("track", "composer"): artist, ("album", "title"): f"LMMS {project.parent.name}", ("album", "tags"): [],
        ("artist", "tags"): [], ("set", "subset"): "large", ("set", "split"): "training",
    }


def build_lmms_corpus(out: str | os.PathLike[str], *, projects_dir: list[str] | tuple[str, ...] = DEFAULT_PROJECT_DIRS,
                      timeout_s: float = 900.0, lmms: str = "lmms", progress: bool = True) -> dict[str, Any]:
    """Render every lmms project under ``projects_dir`` into the corpus ``out`` (resumable).

    Returns the report also written to ``out/corpus_report.json``: ``done``, ``skipped``
    (already rendered), ``failed`` (``{project: reason}``), ``seconds``, ``n_finished``.
    """
    from tqdm import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    projects = find_projects(projects_dir)
    if not projects:
        raise InputError(f"no .mmp/.mmpz projects under {list(projects_dir)}")
    report: dict[str, Any] = {"corpus": "lmms", "done": [], "skipped": [], "failed": {}, "seconds_per_song": {}}
    start = time.perf_counter()
    def finished(tid: int, project: Path) -> bool:
        tfile = truth_dir(out, tid) / "truth.json"
        return (tfile.is_file() and audio_path(out, tid, ext="wav").is_file()
                and json.loads(tfile.read_text()).get("project") == str(project))

    try:
        bar = tqdm(list(enumerate(projects, start=1)), desc="lmms songs", unit="song", disable=not progress)
        for tid, project in bar:
            bar.set_postfix_str(project.name[:30])
            if finished(tid, project):
                report["skipped"].append(project.name)
                continue
            t0 = time.perf_counter()
            try:
                render_project(project, out, tid, lmms=lmms, timeout_s=timeout_s)
            except (RenderError, InputError, OSError, sf.LibsndfileError) as exc:
                report["failed"][str(project)] = str(exc)
                continue
            report["done"].append(project.name)
            report["seconds_per_song"][project.name] = round(time.perf_counter() - t0, 2)
    finally:
        rows = {tid: lmms_row(p, json.loads((truth_dir(out, tid) / "truth.json").read_text()))
                for tid, p in enumerate(projects, start=1) if finished(tid, p)}
        if rows:
            write_tracks_csv(out / TRACKS_CSV, rows)
        report["seconds"] = round(time.perf_counter() - start, 2)
        report["n_finished"] = len(rows)
        (out / "corpus_report.json").write_text(json.dumps(report, indent=1))
    return report
