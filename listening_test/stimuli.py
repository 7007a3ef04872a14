"""``nlc-bench listening-test make``: blind test clips, their manifest and the questionnaire.

Output folder::

    OUT/
      manifest.json            # the answer key: clip -> system, target; group -> source loop, type (keep it private)
      g01/g01_c1.wav ...       # one folder per group; clip numbers in a seeded random order
      questionnaire/           # the static page (open index.html, or serve OUT)
        index.html app.js style.css stimuli.js   # clip ids and files only: no system name
      webmushra/g01.yaml ...   # with --format webmushra

The dataset is read through :func:`nlc.loops.reader.open_dataset`, the systems'
rankings through :func:`nlc.benchmark.results.load_results`; every results file must have
been computed on the dataset's protocol (same content hash). Every clip of a test plays at
one integrated loudness (ITU-R BS.1770-4, -23 LUFS unless a peak lowers it for all; see
:mod:`nlc.listening_test.mixing` and :func:`render_clips`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from nlc.atomic import write_text
from nlc.audio import write_wav
from nlc.errors import InputError, IntegrityError
from nlc.spec import SAMPLE_RATE
from nlc.listening_test import picks as P
from nlc.listening_test.manifest import Clip, Group, Manifest, run_id_of, save_manifest
from nlc.listening_test.mixing import TARGET_LUFS, TRUE_PEAK_DBTP, Levelled, level_clips, raw_mix
from nlc.listening_test.schema import QUESTION_TEXT, QUESTIONS

QUESTIONNAIRE_FILES: tuple[str, ...] = ("index.html", "app.js", "style.css")


@dataclass(frozen=True)
class SystemRanking:
    """One system's ranking, as read from a benchmark results file."""

    name: str
    path: str
    content_hash: str
    queries: dict[str, tuple[list[str], list[float]]]


def load_system(path: str | os.PathLike[str], *, name: str | None = None) -> SystemRanking:
    """Read one results file (``NAME=PATH`` on the command line renames the system)."""
    from nlc.benchmark.results import load_results

    results = load_results(path)
    queries = {q.query_id: (list(q.candidate_ids), list(q.scores)) for q in results.ranking}
    return SystemRanking(name=name or results.model.name, path=str(path),
                         content_hash=results.dataset.content_hash, queries=queries)


def questionnaire_data(manifest: Manifest) -> dict:
    """What the page needs, and nothing more: groups, clip ids, clip files relative to the
    page, questions.

    The page is sent to participants, so it carries no system name, no target or source
    loop id: its CSV names clips, and ``nlc-bench stats --manifest`` maps them to systems.
    """
    return {
        "questions": [{"id": q, "text": QUESTION_TEXT[q]} for q in QUESTIONS],
        "groups": [{"group": g.group, "source_type": g.source_type,
                    "clips": [{"clip": c.clip, "file": f"../{c.file}"} for c in g.clips]}
                   for g in manifest.groups],
    }


def write_questionnaire(manifest: Manifest, out_dir: str | os.PathLike[str]) -> Path:
    """Copy the static page into ``OUT/questionnaire`` and write its ``stimuli.js``."""
    folder = Path(out_dir) / "questionnaire"
    folder.mkdir(parents=True, exist_ok=True)
    package = resources.files("nlc.listening_test") / "questionnaire"
    for name in QUESTIONNAIRE_FILES:
        with resources.as_file(package / name) as src:
            shutil.copyfile(src, folder / name)
    payload = json.dumps(questionnaire_data(manifest), indent=1)
    # a script, not JSON: browsers refuse fetch() from file:// but run <script src>
    write_text(folder / "stimuli.js", f"window.NLC_STIMULI = {payload};\n")
    return folder / "index.html"


def _clip_name(clip: Clip, source_id: str) -> str:
    """How errors name a clip: its id (what the experimenter sees) and its two loops."""
    return f"clip {clip.clip} (source loop {source_id}, target loop {clip.target_id})"


def render_clips(pairs: Sequence[tuple[str, np.ndarray, np.ndarray]], *, repetitions: int = 2,
                 sr: int = SAMPLE_RATE) -> Levelled:
    """Every clip of a test from its loop pair, all at one BS.1770 loudness.

    Mixed one by one (:func:`~nlc.listening_test.mixing.raw_mix`), then levelled together
    (:func:`~nlc.listening_test.mixing.level_clips`): a clip whose peak forces a lower target
    lowers every clip of the test alike, so no clip plays louder than another.

    Parameters
    ----------
    pairs : sequence of (name, source, target)
        The clip's name (for errors and the manifest note) and its two mono loops.
    repetitions : {2, 4}, default 2
        Times the loop pair is repeated in a clip.
    sr : int, default 44100
        Sampling rate in Hz.

    Returns
    -------
    Levelled
        float32 clips in the order of ``pairs``, and the loudness they share.
    """
    mixes = [raw_mix(source, target, repetitions=repetitions, sr=sr, name=name) for name, source, target in pairs]
    return level_clips(mixes, names=[name for name, _, _ in pairs], sr=sr)


def loudness_note(levelled: Levelled) -> str:
    """The manifest note that says at which loudness the clips play, and why if not the target.

    Written into ``manifest.json`` so that a report can state the level of the stimuli (and
    a lowered target, which only a peaky clip causes, is not a silent surprise)."""
    text = (f"clips levelled to {levelled.target_lufs:.1f} LUFS integrated loudness (ITU-R BS.1770-4, "
            f"pyloudnorm), true peak at most {TRUE_PEAK_DBTP:.1f} dBTP")
    if levelled.lowered_db > 0:
        text += (f"; the common target {TARGET_LUFS:.1f} LUFS was lowered by {levelled.lowered_db:.1f} dB for "
                 f"every clip, since {levelled.culprit} would otherwise peak above {TRUE_PEAK_DBTP:.1f} dBTP")
    return text


def make_stimuli(
    data: str | os.PathLike[str],
    systems: list[SystemRanking],
    out_dir: str | os.PathLike[str],
    *,
    include_original: bool = False,
    groups_per_type: int = 2,
    repetitions: int = 2,
    seed: int = 0,
    fmt: str = "native",
    webmushra_prefix: str = "configs/resources/nlc_listening",
) -> Manifest:
    """Draw the groups, mix and write every clip, the manifest and the questionnaire.

    Parameters
    ----------
    data : path-like
        The ``nlc-loops/`` folder the systems were benchmarked on.
    systems : list of SystemRanking
        From :func:`load_system`; names must be unique and differ from ``original``.
    out_dir : path-like
        Output folder (created; existing clips are overwritten).
    include_original : bool, default False
        Add ``original`` (the true target) as a system, as the paper does.
    groups_per_type : int, default 2
        Source loops drawn per source type (drum, vocal, melody).
    repetitions : {2, 4}, default 2
        Times the loop pair is repeated in a clip.
    seed : int, default 0
        Seeds the group draw and the clip numbering.
    fmt : {"native", "webmushra"}, default "native"
        ``webmushra`` also writes one webMUSHRA config per group.
    webmushra_prefix : str, default "configs/resources/nlc_listening"
        Where OUT is copied inside the webMUSHRA folder (audio paths in the configs).
    """
    from nlc.loops.reader import open_dataset

    names = [s.name for s in systems] + ([P.ORIGINAL] if include_original else [])
    if len(set(names)) != len(names):
        raise InputError(f"system names must be unique (got {', '.join(names)}); rename with NAME=results.json")
    if not names:
        raise InputError("no system: give --results files and/or --include-original")
    if fmt not in ("native", "webmushra"):
        raise InputError(f"unknown format {fmt!r}, expected native or webmushra")
    ds = open_dataset(data)
    for s in systems:
        if s.content_hash != ds.info.content_hash:
            raise IntegrityError(f"{s.path}: computed on protocol {s.content_hash[:12]}, {data} has {ds.info.content_hash[:12]}")
    targets = P.true_targets(ds.ranking())
    picks = {s.name: P.system_picks(s.queries, targets, name=s.name) for s in systems}
    if include_original:
        picks[P.ORIGINAL] = dict(targets)
    test = ds.pairs("test")
    roles = dict(zip(test["source_id"], test["source_role"], strict=True))
    unknown = sorted(set(targets) - set(roles))
    if unknown:
        raise InputError(f"{data}: ranking query {unknown[0]!r} is not a test source loop")
    types = P.source_types({q: roles[q] for q in targets})
    chosen, notes = P.choose_groups(types, per_type=groups_per_type, seed=seed)
    rng = np.random.default_rng([seed, 1])
    out = Path(out_dir)
    groups = []
    pairs: list[tuple[str, np.ndarray, np.ndarray]] = []
    for number, (query, source_type) in enumerate(chosen, start=1):
        gid = f"g{number:02d}"
        order = rng.permutation(len(names))
        source = ds.loop_audio([query])[0]
        clips = []
        for k, idx in enumerate(order, start=1):
            system = names[int(idx)]
            target_id = picks[system][query]
            item = Clip(clip=f"{gid}_c{k}", file=f"{gid}/{gid}_c{k}.wav", system=system, target_id=target_id)
            pairs.append((_clip_name(item, query), source, ds.loop_audio([target_id])[0]))
            clips.append(item)
        groups.append(Group(group=gid, source_type=source_type, source_id=query, source_role=roles[query], clips=clips))
    levelled = render_clips(pairs, repetitions=repetitions)
    for item, clip in zip((c for g in groups for c in g.clips), levelled.clips, strict=True):
        write_wav(out / item.file, clip, sr=SAMPLE_RATE)
    notes = [*notes, loudness_note(levelled)]
    manifest = Manifest(seed=seed, repetitions=repetitions, sample_rate=SAMPLE_RATE, systems=names, groups=groups,
                        dataset=str(data), results={s.name: s.path for s in systems}, notes=notes)
    manifest = manifest.model_copy(update={"run_id": run_id_of(manifest)})
    save_manifest(manifest, out)
    write_questionnaire(manifest, out)
    if fmt == "webmushra":
        from nlc.listening_test.webmushra import write_configs

        write_configs(manifest, out, resource_prefix=webmushra_prefix)
    return manifest
