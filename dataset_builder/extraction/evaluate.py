"""Scoring an extraction against ground truth (mir_eval style: validate, then pure metrics).

Truth comes from the stems of a song (synthetic corpus or rendered lmms projects), put
on the *extracted* bar grid so that no alignment of bar numbers is needed: for each stem,
its bar-synchronous mel tensor (the same representation the extractor factorises), its
energy per bar, the bars where it plays and its mean bar spectrogram over those bars.
A stem plays in a bar when its RMS over the bar's *interior* (the bar without
``guard_s`` = 50 ms at either end, the tolerance of a correct downbeat) is within 30 dB of
its loudest bar (``nlc.dataset_builder.corpus.truth`` thresholds): measured over the whole
bar, a grid a few milliseconds late lets the first kick of the next bar mark a silent bar
as played, which invents co-occurring pairs and blurs the bars a loop must match.

An extracted loop *matches* the true loop whose mean bar spectrogram is most similar
(cosine) to the loop's reconstructed spectrogram, provided they also play in the same bars
(F-measure of the two sets of active bars >= ``min_activity_f1``). Then

* loop recall: share of true loops matched by at least one extracted loop;
* pair precision: share of extracted pairs whose loops match two *different* true loops
  that play together in some bar (a pair of two copies of one loop counts as wrong);
* pair recall: share of true co-occurring pairs found by at least one extracted pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import cast

import numpy as np

from nlc.dataset_builder.extraction.spectrum import mel_magnitude
from nlc.dataset_builder.extraction.tensor import bar_tensor
from nlc.errors import InputError


@dataclass(frozen=True)
class StemTruth:
    """Per stem: ``names`` (S), ``spectrograms`` (S, freq, time) mean over active bars,
    ``energy`` (S, bars) and ``active`` (bars, S) booleans."""

    names: list[str]
    spectrograms: np.ndarray
    energy: np.ndarray
    active: np.ndarray


def interior_activity(stems: list[np.ndarray], starts: np.ndarray, *, guard: int) -> np.ndarray:
    """(bars, stems) booleans: RMS over ``[start + guard, stop - guard)`` of each bar (samples)
    within ``ACTIVITY_THRESHOLD_DB`` of the stem's loudest bar and above ``ABSOLUTE_FLOOR_DB``."""
    from nlc.dataset_builder.corpus.truth import ABSOLUTE_FLOOR_DB, ACTIVITY_THRESHOLD_DB

    starts = np.asarray(starts, dtype=np.int64)
    guard = np.minimum(guard, np.diff(starts) // 4)  # never more than a quarter of a bar
    lo, hi = starts[:-1] + guard, starts[1:] - guard
    cols = []
    for stem in stems:
        x = np.asarray(stem, dtype=np.float64)
        csum = np.concatenate([[0.0], np.cumsum(x * x)])
        energy = (csum[np.clip(hi, 0, x.size)] - csum[np.clip(lo, 0, x.size)]) / np.maximum(hi - lo, 1)
        db = 10.0 * np.log10(np.maximum(energy, 1e-20))
        cols.append((db >= db.max() + ACTIVITY_THRESHOLD_DB) & (db > ABSOLUTE_FLOOR_DB))
    return np.stack(cols, axis=1) if cols else np.zeros((starts.size - 1, 0), bool)


def coplaying_groups(active: np.ndarray, *, min_jaccard: float) -> list[list[int]]:
    """Stems (columns of ``active``, bars x stems) that play in the same bars, grouped.

    Two stems are linked when the Jaccard index of their sets of active bars is at least
    ``min_jaccard``; groups are the connected components (single linkage), in column order.
    """
    from scipy.sparse.csgraph import connected_components

    act = np.asarray(active, dtype=np.int64)
    inter = act.T @ act
    union = act.sum(axis=0)[:, None] + act.sum(axis=0)[None, :] - inter
    linked = (inter >= min_jaccard * np.maximum(union, 1)) & (union > 0)
    _, label = connected_components(linked, directed=False)
    groups: dict[int, list[int]] = {}
    for i, g in enumerate(label):
        groups.setdefault(int(g), []).append(i)
    return list(groups.values())


def stem_truth(stems: dict[str, np.ndarray], downbeats: np.ndarray, *, config, guard_s: float = 0.05,
               group_jaccard: float | None = None) -> StemTruth:
    """Ground truth of ``stems`` (name -> mono audio at ``config.sr``) on bars ``downbeats`` (s);
    ``guard_s`` (s, default 0.05) is left out at both ends of a bar when deciding where a stem plays.

    ``group_jaccard`` (None = off): stems that play in the same bars (:func:`coplaying_groups`
    at this Jaccard index) are summed into one true loop named ``a+b+...``. A rendered project
    keeps every drum of a kit on its own track, but kick, snare and hi-hat that always play
    together are one drum loop to a producer, and no bar model can tell them apart (the
    extractor merges such components on purpose, ``consolidate.consolidate``).
    """
    if group_jaccard is not None:
        plain = stem_truth(stems, downbeats, config=config, guard_s=guard_s)
        grouped: dict[str, np.ndarray] = {}
        for g in coplaying_groups(plain.active, min_jaccard=group_jaccard):
            parts = [np.asarray(stems[plain.names[i]], dtype=np.float64) for i in g]
            mix = np.zeros(max(p.size for p in parts))
            for part in parts:  # rendered stems may differ in length by their release tails
                mix[:part.size] += part
            grouped["+".join(plain.names[i] for i in g)] = mix.astype(np.float32)
        return stem_truth(grouped, downbeats, config=config, guard_s=guard_s)
    c = config
    frames = np.asarray(downbeats) * c.sr / c.hop_length
    names, specs, energy = [], [], []
    for name, audio in sorted(stems.items()):
        mel = mel_magnitude(np.asarray(audio, dtype=np.float32), sr=c.sr, n_fft=c.n_fft, hop_length=c.hop_length,
                            n_mels=c.n_mels)
        t = bar_tensor(np.power(mel, c.magnitude_power), frames, frames_per_bar=c.frames_per_bar)
        names.append(name)
        specs.append(t)
        energy.append(np.sum(t.astype(np.float64) ** 2, axis=(0, 1)))
    energy_arr = np.array(energy)
    starts = np.round(np.asarray(downbeats) * c.sr).astype(np.int64)
    active = interior_activity([np.asarray(stems[n]) for n in names], starts,
                               guard=int(round(guard_s * c.sr)))  # (bars, stems)
    # stems silent on every bar (muted tracks) are no loops; any(axis=0) of the 2-D activity is an array
    playing = cast(np.ndarray, active.any(axis=0))
    names = [n for n, p in zip(names, playing) if p]
    specs = [t for t, p in zip(specs, playing) if p]
    energy_arr, active = energy_arr[playing], active[:, playing]
    means = np.stack([t[:, :, a].mean(axis=2) if a.any() else t.mean(axis=2) for t, a in zip(specs, active.T)])
    return StemTruth(names=names, spectrograms=means, energy=energy_arr, active=active)


def validate(loop_spectrograms: np.ndarray, loop_active: np.ndarray, truth: StemTruth) -> None:
    """Reject inputs of mismatched shapes or without any true loop."""
    if loop_spectrograms.ndim != 3 or truth.spectrograms.ndim != 3:
        raise InputError("spectrograms must be (loops, freq, time)")
    if loop_spectrograms.shape[1:] != truth.spectrograms.shape[1:]:
        raise InputError(f"loop spectrograms {loop_spectrograms.shape[1:]} vs truth {truth.spectrograms.shape[1:]}")
    if loop_active.shape != (truth.active.shape[0], loop_spectrograms.shape[0]):
        raise InputError(f"loop activity {loop_active.shape} must be (bars={truth.active.shape[0]}, "
                         f"loops={loop_spectrograms.shape[0]})")
    if not truth.names:
        raise InputError("no true loops")


def _f1(a: np.ndarray, b: np.ndarray) -> float:
    total = int(a.sum() + b.sum())
    return 2.0 * float(np.sum(a & b)) / total if total else 0.0


def match_loops(loop_spectrograms: np.ndarray, loop_active: np.ndarray, truth: StemTruth, *,
                min_activity_f1: float = 0.5) -> np.ndarray:
    """Index of the matched true loop per extracted loop, or -1 (see the module docstring)."""
    validate(loop_spectrograms, loop_active, truth)
    a = loop_spectrograms.reshape(loop_spectrograms.shape[0], -1).astype(np.float64)
    b = truth.spectrograms.reshape(truth.spectrograms.shape[0], -1).astype(np.float64)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    best = np.argmax(a @ b.T, axis=1)
    ok = np.array([_f1(loop_active[:, k], truth.active[:, t]) >= min_activity_f1 for k, t in enumerate(best)])
    return np.where(ok, best, -1)


def true_pairs(active: np.ndarray) -> set[tuple[int, int]]:
    """Pairs ``(s, t)``, ``s < t``, of true loops active together in at least one bar."""
    return {p for row in np.asarray(active, dtype=bool) for p in combinations(np.flatnonzero(row).tolist(), 2)}


def loop_recall(matches: np.ndarray, n_true: int) -> float:
    """Share of the ``n_true`` true loops matched by at least one extracted loop."""
    return len({int(m) for m in matches if m >= 0}) / n_true


def pair_scores(pairs: list[tuple[int, int]], matches: np.ndarray, truth_active: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of extracted loop pairs (column indices) against true co-occurrence.

    Precision is NaN when nothing was paired; recall is NaN when the truth has no pair.
    """
    truth = true_pairs(truth_active)
    found: set[tuple[int, int]] = set()
    correct = 0
    for i, j in pairs:
        s, t = sorted((int(matches[i]), int(matches[j])))
        if s >= 0 and s != t and (s, t) in truth:
            correct += 1
            found.add((s, t))
    precision = correct / len(pairs) if pairs else float("nan")
    recall = len(found) / len(truth) if truth else float("nan")
    return precision, recall


PAIR_VERDICTS: tuple[str, ...] = ("right", "unmatched loop", "one true loop twice", "never together")
"""What :func:`pair_verdicts` calls each extracted pair, the three ways of being wrong after ``right``."""


def pair_verdicts(pairs: list[tuple[int, int]], matches: np.ndarray, truth_active: np.ndarray) -> dict[str, int]:
    """Extracted pairs counted by :data:`PAIR_VERDICTS`: why :func:`pair_scores` calls a pair wrong.

    ``unmatched loop``: a loop of the pair matches no true loop (often one pattern of an
    instrument whose pattern changes: the right spectrum, too few of the stem's bars);
    ``one true loop twice``: both match the same true loop; ``never together``: two true loops
    that share no bar.
    """
    truth = true_pairs(truth_active)
    counts = dict.fromkeys(PAIR_VERDICTS, 0)
    for i, j in pairs:
        s, t = sorted((int(matches[i]), int(matches[j])))
        verdict = ("unmatched loop" if s < 0 else "one true loop twice" if s == t
                   else "right" if (s, t) in truth else "never together")
        counts[verdict] += 1
    return counts


def activation_correlation(layout: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Per extracted loop (layout column), the best Pearson r with any stem's bar energy (S, bars)."""
    x = layout - layout.mean(axis=0, keepdims=True)
    y = (energy - energy.mean(axis=1, keepdims=True)).T
    nx = np.linalg.norm(x, axis=0)
    ny = np.linalg.norm(y, axis=0)
    r = (x.T @ y) / np.maximum(np.outer(nx, ny), 1e-12)
    return np.max(r, axis=1)


def activation_correlation_chance(layout: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Per extracted loop, :func:`activation_correlation` of its layout column circularly shifted,
    averaged over every non-zero shift of whole bars: what the best-stem r reaches by chance.

    Why: the best of S stems' correlations is biased upwards, and more so for a loop playing
    in a few bars of a song whose stems enter and leave in sections; a shifted column keeps
    how often and in what runs the loop plays, but not where. NaN for a song of one bar.
    """
    layout = np.asarray(layout, dtype=np.float64)
    n_bars = layout.shape[0]
    if n_bars < 2:
        return np.full(layout.shape[1], np.nan)
    return np.mean([activation_correlation(np.roll(layout, s, axis=0), energy) for s in range(1, n_bars)], axis=0)


@dataclass(frozen=True)
class PairedDifference:
    """Mean per-song difference of one figure between two runs on the same songs, with its standard error.

    ``n``: songs scored in both (a song that failed, or whose figure is undefined, in either run is
    left out); ``mean`` and ``se``: mean and standard error of ``a - b`` over them; ``moved``: songs
    whose figure differs by more than ``moved_by``.
    """

    n: int
    mean: float
    se: float
    moved: int
    moved_by: float


def paired_difference(a: dict[str, dict], b: dict[str, dict], key: str, *, moved_by: float = 0.2) -> PairedDifference:
    """Paired difference of figure ``key`` between two runs' per-song results (song id -> figures).

    Why paired: the extraction is chaotic per song (moving every beat by 1 ms moves pair precision
    by more than 0.2 on 8-12 of 60 synthetic songs, ``docs/extraction.md``), so two variants'
    means differ by a few hundredths on the same songs by chance; the standard error of the
    per-song difference says which gaps the songs can resolve. Needs two shared songs.
    """
    diffs = [float(a[s][key]) - float(b[s][key]) for s in sorted(set(a) & set(b))
             if np.isfinite(float(a[s][key])) and np.isfinite(float(b[s][key]))]
    if len(diffs) < 2:
        raise InputError(f"paired difference of {key!r}: {len(diffs)} songs scored in both runs, need 2")
    d = np.asarray(diffs)
    return PairedDifference(n=d.size, mean=float(d.mean()), se=float(d.std(ddof=1) / np.sqrt(d.size)),
                            moved=int(np.sum(np.abs(d) > moved_by)), moved_by=moved_by)
