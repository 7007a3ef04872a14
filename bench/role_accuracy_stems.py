"""Role detector on real song stems, labelled by track name, scored leave-one-song-out.

Usage::

    .venv/bin/python bench/role_accuracy_stems.py CORPUS [--samples /usr/share/lmms/samples] [--excerpts 3] [--labels name|truth]

CORPUS is an lmms corpus rendered with stems (``nlc-bench corpus lmms OUT``; songs marked
``stems_missing`` are skipped). Each stem whose lmms track name says what it plays is a
labelled instrument: bass and drum from the corpus heuristic
(:func:`nlc.dataset_builder.corpus.lmms_corpus.guess_role`), ``other`` only when the name
names a melodic or harmonic instrument (:data:`OTHER_NAMES`); a name that says nothing
("Track 3", "Kicker") is left out, and counted. ``--labels truth`` takes each stem's role from
its truth instead, for a corpus that knows it (``bench/midi_corpus.py``: General MIDI's drum
channel and bass programs). Of each labelled stem, ``--excerpts``
one-bar excerpts are cut on the *true* bar grid (so this measures the detector, not the
beat tracker) from active bars spread over the song, and stretched to a 2-s loop as the
pipeline stretches its loops.

Printed, over excerpts: role accuracy, per-role recall (bass recall, drum recall) and the
confusion matrix of

* the shipped classifier (fitted on the labelled lmms samples only, no song stem);
* the ``rules`` backend (hand thresholds chosen on those samples);
* leave-one-song-out: the classifier refitted on the samples plus the stems of every *other*
  song, judged on the held-out song's stems (never on a song it was fitted on);
* with ``--train-with OTHER``: the classifier refitted on the samples plus every stem of another
  corpus (e.g. ``bench/midi_corpus.py``'s, other sounds and exact labels), judged on all of CORPUS.

The songs use lmms's own sample library, so a drum excerpt may be a sample the shipped
classifier was fitted on: its row is not fully held out, the leave-one-song-out row is on
the stems.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

OTHER_NAMES = re.compile(r"lead|pad|piano|synth|string|chord|arp|pluck|organ|guitar|bell|vox|voice|choir|brass|"
                         r"flute|keys?\b|melod|saw|sine|epiano|rhodes|harp|violin|cello|sax|trumpet|marimba|vibes",
                         re.I)
"""Track names that say a melodic or harmonic instrument plays (``other``)."""


def label_from_name(track: str) -> str | None:
    """``drum``, ``bass``, ``other`` or ``None`` (the name does not say) for an lmms track name."""
    from nlc.dataset_builder.corpus.lmms_corpus import guess_role

    role = guess_role(track)
    if role != "other":
        return role
    return "other" if OTHER_NAMES.search(track) else None


def excerpts(stem: np.ndarray, downbeats: np.ndarray, active: np.ndarray, *, n: int, sr: int) -> list[np.ndarray]:
    """Up to ``n`` one-bar excerpts of a stem from its active bars, evenly spread, each stretched to a 2-s loop."""
    from nlc.dataset_builder.extraction.stretch import stretch_to
    from nlc.spec import LOOP_SAMPLES

    bars = np.flatnonzero(active[: downbeats.size - 1])
    if bars.size == 0:
        return []
    picks = np.unique(bars[np.round(np.linspace(0, bars.size - 1, min(n, bars.size))).astype(int)])
    out = []
    for b in picks:
        start, stop = int(round(downbeats[b] * sr)), int(round(downbeats[b + 1] * sr))
        bar = stem[start:stop]
        if bar.size > sr // 10:
            out.append(stretch_to(bar, n_samples=LOOP_SAMPLES, sr=sr))
    return out


def report(title: str, truth: np.ndarray, pred: np.ndarray) -> None:
    from nlc.dataset_builder.roles.detector import ROLES

    recall = {r: (pred[truth == r] == r).mean() if (truth == r).any() else float("nan") for r in ROLES}
    print(f"{title}: accuracy {(truth == pred).mean():.3f}; recall " + ", ".join(f"{r} {v:.2f}" for r, v in recall.items()))
    print(f"  {'':>8}" + "".join(f"{r:>8}" for r in ROLES) + "   (rows: true, columns: predicted)")
    for r in ROLES:
        print(f"  {r:>8}" + "".join(f"{int(((truth == r) & (pred == p)).sum()):>8}" for p in ROLES))


def labelled_excerpts(corpus: Path, *, labels: str, n: int) -> tuple[list[np.ndarray], list[str], list[str], list[str]]:
    """(excerpts, their roles, their songs, stems left out unlabelled) of every song of ``corpus`` with stems."""
    from nlc.audio import load_audio
    from nlc.dataset_builder.corpus.truth import has_stems
    from nlc.spec import SAMPLE_RATE

    loops, truth, song = [], [], []
    unnamed: list[str] = []
    for path in sorted((corpus / "ground_truth").glob("*/truth.json")):
        t = json.loads(path.read_text())
        if not has_stems(t):
            continue
        downbeats = np.asarray(t["downbeats"], dtype=float)
        layout = np.asarray(t["layout"], dtype=bool)
        name = Path(str(t.get("project", path.parent.name))).stem
        for j, lp in enumerate(t["loops"]):
            label = lp["role"] if labels == "truth" else label_from_name(str(lp.get("track", lp["name"])))
            if label is None:
                unnamed.append(f"{name}/{lp.get('track', lp['name'])}")
                continue
            stem = load_audio(path.parent / lp["stem"], sr=SAMPLE_RATE, allow_silence=True)
            for loop in excerpts(stem, downbeats, layout[:, j], n=n, sr=SAMPLE_RATE):
                loops.append(loop)
                truth.append(label)
                song.append(name)
    return loops, truth, song, unnamed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("corpus", type=Path, help="lmms corpus rendered with stems")
    parser.add_argument("--samples", type=Path, default=Path("/usr/share/lmms/samples"),
                        help="labelled lmms samples (the shipped classifier's training set, kept in every refit)")
    parser.add_argument("--excerpts", type=int, default=3, help="one-bar excerpts per labelled stem")
    parser.add_argument("--labels", choices=("name", "truth"), default="name",
                        help="a stem's role from its lmms track name, or from its truth (a MIDI corpus's General MIDI roles)")
    parser.add_argument("--train-with", type=Path, default=None, metavar="CORPUS",
                        help="another corpus whose stems, labelled by their truth (bench/midi_corpus.py), join "
                             "the samples in an extra refit judged on every song of CORPUS")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from instrumentation_accuracy import load_samples

    from nlc.dataset_builder.roles.detector import role_features, roles_from_features
    from nlc.dataset_builder.roles.model import fit_role_model, load_default_model

    loops, truth, song, unnamed = labelled_excerpts(args.corpus, labels=args.labels, n=args.excerpts)
    if not loops:
        print(f"no labelled stems in {args.corpus} (render it with stems: nlc-bench corpus lmms OUT)")
        return 1
    truth_a, song_a = np.array(truth), np.array(song)
    features = role_features(np.stack(loops))
    print(f"{len(set(song))} songs, {len(loops)} excerpts (" + ", ".join(f"{r} {(truth_a == r).sum()}" for r in
          ("drum", "bass", "other")) + f"); {len(unnamed)} stems left out, their names do not say what they play")

    _, sample_truth, sample_loops, _ = load_samples(args.samples)
    sample_features = role_features(np.stack(sample_loops)) if sample_loops else np.zeros((0, features.shape[1]))
    sample_truth_a = np.array(sample_truth)

    report("shipped classifier (fitted on the lmms samples)", truth_a, np.array(load_default_model().predict(features)))
    report("'rules' backend", truth_a, np.array(roles_from_features(features)))
    held_out = np.empty(truth_a.size, dtype=object)
    for s in sorted(set(song)):
        test = song_a == s
        model = fit_role_model(np.vstack([sample_features, features[~test]]),
                               np.concatenate([sample_truth_a, truth_a[~test]]))
        held_out[test] = model.predict(features[test])
    report("leave-one-song-out (refitted on the samples + the other songs' stems)", truth_a, held_out.astype(str))
    if args.train_with is not None:
        extra, extra_truth, extra_song, _ = labelled_excerpts(args.train_with, labels="truth", n=args.excerpts)
        if not extra:
            print(f"no stems in {args.train_with}: no extra refit")
            return 1
        model = fit_role_model(np.vstack([sample_features, role_features(np.stack(extra))]),
                               np.concatenate([sample_truth_a, np.array(extra_truth)]))
        report(f"refitted on the samples + {args.train_with.name}'s stems ({len(set(extra_song))} songs, "
               f"{len(extra)} excerpts; none of this corpus's)", truth_a, np.array(model.predict(features)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
