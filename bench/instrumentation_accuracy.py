"""Accuracy of the default drum/bass detector on the labelled lmms samples.

Labels come from the sample folders of the Debian package ``lmms-common``:
``beats/``, ``drums/`` are drum; ``bassloops/``, ``basses/`` are bass; ``instruments/``,
``stringsnpads/``, ``latin/`` are neither ("other"). Each sample is brought to a 2-s loop at
44.1 kHz as the dataset's loops are: shorter samples are tiled (repeated back to back),
longer ones trimmed. Files that cannot be decoded are listed and skipped.

Usage::

    .venv/bin/python bench/instrumentation_accuracy.py [--samples /usr/share/lmms/samples] [--errors]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from nlc.audio import load_audio
from nlc.dataset_builder.roles.detector import ROLES, RoleThresholds, role_features, roles_from_features
from nlc.dataset_builder.roles.model import fit_role_model, load_default_model, weights_source
from nlc.errors import AudioError
from nlc.spec import LOOP_SAMPLES

LABELS = {"beats": "drum", "drums": "drum", "bassloops": "bass", "basses": "bass",
          "instruments": "other", "stringsnpads": "other", "latin": "other"}


def as_loop(audio: np.ndarray) -> np.ndarray:
    """Tile or trim a sample to one 2-s loop (88,200 samples)."""
    reps = int(np.ceil(LOOP_SAMPLES / audio.size))
    return np.tile(audio, reps)[:LOOP_SAMPLES]


def load_samples(samples: Path) -> tuple[list[str], list[str], list[np.ndarray], list[str]]:
    """(names, labels, 2-s loops, reasons of the undecodable files) of the labelled lmms samples."""
    names, truth, loops, skipped = [], [], [], []
    for folder, label in LABELS.items():
        for path in sorted((samples / folder).glob("*")):
            try:
                loops.append(as_loop(load_audio(path, allow_silence=True)))
            except AudioError as err:
                skipped.append(str(err))
                continue
            names.append(f"{folder}/{path.name}")
            truth.append(label)
    return names, truth, loops, skipped


GRID = {"steadiness": (0.60, 0.64, 0.68, 0.72), "percussive": (0.4, 0.5, 0.6), "periodicity": (0.30, 0.35, 0.40),
        "low_share": (0.10, 0.15, 0.20), "bass_percussive": (0.04, 0.06, 0.08)}


def leave_one_out(features: np.ndarray, truth: np.ndarray) -> float:
    """Accuracy when the thresholds are re-chosen from GRID without the sample being judged.

    The shipped thresholds were chosen while looking at these samples; this estimates how
    well that choice generalises to an unseen sample (ties: the first best grid point).
    """
    import itertools

    combos = [RoleThresholds(**dict(zip(GRID, values))) for values in itertools.product(*GRID.values())]
    correct = np.array([np.array(roles_from_features(features, thresholds=t)) == truth for t in combos])
    totals = correct.sum(axis=1)
    hits = [correct[np.argmax(totals - correct[:, i]), i] for i in range(truth.size)]
    return float(np.mean(hits))


def model_leave_one_out(features: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Prediction of each sample by the classifier refitted (standardisation included) without it."""
    out = []
    for i in range(truth.size):
        keep = np.arange(truth.size) != i
        out.append(fit_role_model(features[keep], truth[keep]).predict(features[i:i + 1])[0])
    return np.array(out)


def report(title: str, truth_a: np.ndarray, pred_a: np.ndarray) -> None:
    """Print accuracy, balanced accuracy, the 'selected' decision accuracy and the confusion matrix."""
    print(f"{title}: accuracy {(truth_a == pred_a).mean():.3f}")
    balanced = np.mean([(pred_a[truth_a == r] == r).mean() for r in ROLES])
    print(f"  balanced accuracy (mean per-class recall): {balanced:.3f}")
    selectable = ((truth_a == "other") == (pred_a == "other")).mean()
    print(f"  'selected' decision accuracy (other vs drum-or-bass): {selectable:.3f}")
    print("  confusion matrix (rows: true, columns: predicted)")
    print(f"  {'':>8}" + "".join(f"{r:>8}" for r in ROLES))
    for r in ROLES:
        print(f"  {r:>8}" + "".join(f"{int(((truth_a == r) & (pred_a == p)).sum()):>8}" for p in ROLES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--samples", type=Path, default=Path("/usr/share/lmms/samples"),
                        help="lmms sample folder holding beats/, drums/, bassloops/, ...")
    parser.add_argument("--errors", action="store_true", help="list every misclassified sample")
    parser.add_argument("--loo", action="store_true",
                        help="also print the leave-one-out accuracy of the 'rules' backend's thresholds re-chosen on a grid")
    parser.add_argument("--write-weights", type=Path, default=None,
                        help="refit the classifier on all samples and write the weights module to this path "
                             "(dataset_builder/roles/weights.py)")
    args = parser.parse_args()

    names, truth, loops, skipped = load_samples(args.samples)
    if not loops:
        print(f"no samples under {args.samples}")
        return 1
    start = time.perf_counter()
    features = role_features(np.stack(loops))
    seconds = time.perf_counter() - start
    truth_a = np.array(truth)
    print(f"samples: {len(truth)} ({', '.join(f'{r}: {(truth_a == r).sum()}' for r in ROLES)}); "
          f"skipped {len(skipped)} undecodable")
    for reason in skipped:
        print(f"  skipped: {reason}")
    held_out = model_leave_one_out(features, truth_a)
    report("HELD-OUT (leave-one-out, classifier refitted without the judged sample)", truth_a, held_out)
    model = fit_role_model(features, truth_a) if args.write_weights else load_default_model()
    shipped = np.array(model.predict(features))
    print(f"shipped weights on these (their own training) samples: accuracy {(truth_a == shipped).mean():.3f}")
    rules = np.array(roles_from_features(features))
    report("'rules' backend (hand thresholds chosen on these samples)", truth_a, rules)
    print(f"feature time: {1000 * seconds / len(loops):.0f} ms per 2-s loop")
    if args.loo:
        print(f"'rules' leave-one-out accuracy (thresholds re-chosen on a {np.prod([len(v) for v in GRID.values()])}-point "
              f"grid without the judged sample): {leave_one_out(features, truth_a):.3f}")
    if args.write_weights:
        args.write_weights.write_text(weights_source(model, note=f"bench/instrumentation_accuracy.py on {len(truth)} lmms samples"))
        print(f"wrote {args.write_weights}")
    if args.errors:
        for name, t, p in zip(names, truth, held_out):
            if t != p:
                print(f"  held-out miss {name}: {t} -> {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
