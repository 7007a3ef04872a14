"""The validity ladder: an oracle, a plain reference and the random floor, scored by the harness.

A benchmark's first duty is to separate a model that knows from one that guesses. On a
release built from a corpus with ground truth (``truth.json``: each song's key), three
references bracket every model of Table 2:

* **oracle** (the ceiling): knows each loop's key from the corpus truth and calls two loops
  compatible exactly when their songs share a key. It identifies a loop by the sorted
  multiset of its samples, which the protocol's reverse / shift / rearrange negatives keep
  (they permute samples), so a transformed loop keeps its song's key, as it musically does.
  It therefore sees through the between-song negatives (random, selected) and, like any
  harmony-only judge, not through the within-song ones: the per-method table shows it.
* **audible** (the ceiling of harmony heard from audio): the same key truth, but only where a key
  can be heard. A loop the release's role detector calls ``drum`` has no pitch, so its key is
  not in its audio and it fits any key: every pair with one is a guess (a score in (0.49, 0.51)
  drawn from the two loops' digests, between the sure 0 and 1, so the harness's pessimistic
  ties neither punish nor reward it). The key oracle ranks a drum loop's true partner among
  its few same-key candidates; no model that hears only audio can, so on a synthetic release
  (about 45 % drum loops) the audible rung, not the key oracle, says how far harmony can take a
  model (it may go further on the within-song negatives, by time and rhythm, which no key sees).
* **chroma** (``baselines/submissions/chroma_reference.py``): mean chroma cosine, no training.
* **random** (``baselines/submissions/random_baseline.py``): the floor.

Each rung goes through the very code a submission does (:func:`nlc.benchmark.run.evaluate_loaded`:
validation on generated audio, scoring of both frozen tables, bootstrap intervals), so a
ladder whose oracle does not rise above the random floor with separated intervals means the
harness, not a model, is broken (``tests/benchmark/test_ladder.py`` builds a release and checks it).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlc.benchmark import results as R
from nlc.benchmark.bootstrap import N_RESAMPLES
from nlc.errors import InputError
from nlc.loops.layout import KEY_TONICS

REFERENCE_DIR: Path = Path(__file__).resolve().parents[1] / "baselines" / "submissions"
"""The shipped reference submissions (chroma and random rungs)."""
RUNGS: tuple[str, ...] = ("oracle", "audible", "chroma", "random")
"""Rung names, ceiling first."""
N_KEYS: int = 24
"""Key classes of the oracle: 12 tonics x {major, minor}."""


def key_class(name: str) -> int:
    """``"D major"`` -> 2, ``"A minor"`` -> 21: the oracle's class of a key named in ``truth.json``."""
    parts = str(name).split()
    if len(parts) != 2 or parts[0] not in KEY_TONICS or parts[1] not in ("major", "minor"):
        raise InputError(f"truth.json: key {name!r} is not '<tonic> major|minor' (tonic one of {KEY_TONICS})")
    return KEY_TONICS.index(parts[0]) + (12 if parts[1] == "minor" else 0)


def sample_digest(loop: np.ndarray) -> bytes:
    """A digest of a loop's samples as a multiset: equal for a loop reversed, shifted or rearranged."""
    return hashlib.blake2b(np.sort(np.asarray(loop, dtype=np.float32)).tobytes(), digest_size=16).digest()


@dataclass
class KeyOracle:
    """The ceiling rung: compatible exactly when the loops' songs share a key (see the module docstring).

    Implements :class:`nlc.protocol.LoadedSubmission` in this process. Audio it has never
    seen (the validation's generated loops) gets a class of its own from its digest, so
    it still answers deterministically and per loop.
    """

    keys: Mapping[bytes, int]
    path: Path = Path(__file__).resolve()
    name: str = "oracle (corpus key)"
    threshold: float = 0.5
    has_embed: bool = True
    _unknown: dict[bytes, int] = field(default_factory=dict)

    def _class_of(self, digest: bytes) -> int:
        known = self.keys.get(digest)
        return known if known is not None else N_KEYS + int.from_bytes(digest[:4], "little") % 1_000_000

    def _classes(self, loops: np.ndarray) -> np.ndarray:
        return np.array([self._class_of(sample_digest(loop)) for loop in np.asarray(loops, dtype=np.float32)],
                        dtype=np.int64)

    def embed(self, loops: np.ndarray) -> np.ndarray:
        """One-hot key (24 dims) per loop; an unknown loop sits alone on a 25th axis."""
        classes = self._classes(loops)
        out = np.zeros((len(classes), N_KEYS + 1), dtype=np.float32)
        known = classes < N_KEYS
        out[np.flatnonzero(known), classes[known]] = 1.0
        out[~known, N_KEYS] = 1.0 + (classes[~known] - N_KEYS).astype(np.float32)
        return out

    def score(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """1.0 for a pair in one key, 0.0 otherwise."""
        return (self._classes(sources) == self._classes(targets)).astype(np.float64)


@dataclass
class AudibleKeyOracle(KeyOracle):
    """The audible ceiling: :class:`KeyOracle` where both loops are pitched, a guess where either is
    ``keyless`` (the digests of the loops the release calls ``drum``; see the module docstring).

    It ranks by :meth:`score`, not by an embedding: a guess is a property of the pair.
    """

    keyless: frozenset[bytes] = frozenset()
    name: str = "audible key oracle (corpus key where pitched)"
    has_embed: bool = False

    def score(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """1.0 / 0.0 for two pitched loops in one key / two keys; in (0.49, 0.51) for a pair with a drum loop."""
        out = []
        for a, b in zip(np.asarray(sources, dtype=np.float32), np.asarray(targets, dtype=np.float32)):
            da, db = sample_digest(a), sample_digest(b)
            if da in self.keyless or db in self.keyless:
                # the guess: deterministic per pair (two runs agree), spread so that ties are rare
                out.append(0.49 + 0.02 * int.from_bytes(hashlib.blake2b(da + db, digest_size=4).digest(), "little") / 2**32)
            else:
                out.append(float(self._class_of(da) == self._class_of(db)))
        return np.array(out, dtype=np.float64)


def key_oracles(dataset, truth: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, KeyOracle]:
    """The ``oracle`` and ``audible`` rungs of an opened release (:func:`nlc.loops.reader.open_dataset`).

    Both know every protocol loop's key; the :class:`AudibleKeyOracle`'s keyless loops are those
    the release's ``loops`` table gives the role ``drum``. One pass over the protocol's audio
    serves both. Raises InputError when the release has no ground truth or a protocol song has no key.
    """
    truth = dataset.truth() if truth is None else truth
    if not truth:
        raise InputError(f"{dataset.root}: no truth.json (a release from a corpus without ground truth, "
                         f"e.g. FMA): the ladder's oracle needs the corpus truth")
    tables = (dataset.classification(), dataset.ranking())
    ids = sorted({str(i) for t in tables for c in ("query_id", "candidate_id") for i in t[c]})
    loops = dataset.loops()
    song = dict(zip(loops["loop_id"], loops["song_id"]))
    role = dict(zip(loops["loop_id"], loops["role"]))
    keys: dict[bytes, int] = {}
    keyless: set[bytes] = set()
    for start in range(0, len(ids), 256):
        chunk = ids[start:start + 256]
        for loop_id, audio in zip(chunk, dataset.loop_audio(chunk)):
            entry = truth.get(song[loop_id], {})
            if "key" not in entry:
                raise InputError(f"{dataset.root}: truth.json gives no key for song {song[loop_id]!r}")
            digest = sample_digest(audio)
            keys[digest] = key_class(str(entry["key"]))
            if role[loop_id] == "drum":
                keyless.add(digest)
    return {"oracle": KeyOracle(keys=keys), "audible": AudibleKeyOracle(keys=keys, keyless=frozenset(keyless))}


def run_ladder(path: str | os.PathLike[str], *, seed: int = 0, n_resamples: int = N_RESAMPLES,
               rungs: Sequence[str] = RUNGS, progress: bool = False,
               done: Mapping[str, R.BenchmarkResults] | None = None) -> dict[str, R.BenchmarkResults]:
    """Score the ladder's rungs on the release at ``path``; returns ``{rung: results}``, ceiling first.

    Parameters
    ----------
    path : path-like
        An ``nlc-loops`` build with ``truth.json`` (synthetic or lmms corpus).
    seed : int, default 0
        Seed of each run (and of its bootstrap).
    n_resamples : int, default 1000
        Bootstrap resamples per interval.
    rungs : sequence of str, default RUNGS ("oracle", "audible", "chroma", "random")
        Which rungs to score.
    progress : bool, default False
        Progress bars while scoring.
    done : mapping or None
        Rungs already scored on this protocol (e.g. Table 2's random baseline, or a resumed
        run's results), used as they are.
    """
    from nlc.benchmark.run import evaluate_loaded, open_protocol, run_benchmark
    from nlc.loops.reader import open_dataset

    unknown = sorted(set(rungs) - set(RUNGS))
    if unknown:
        raise InputError(f"unknown ladder rung(s) {unknown}; expected some of {RUNGS}")
    data = open_protocol(path)
    out: dict[str, R.BenchmarkResults] = {}
    oracles: dict[str, KeyOracle] = {}
    for rung in (r for r in RUNGS if r in rungs):
        if done and rung in done and done[rung].dataset.content_hash == data.content_hash:
            out[rung] = done[rung]
        elif rung in ("oracle", "audible"):
            oracles = oracles or key_oracles(open_dataset(path, verify=False))
            oracle = oracles[rung]
            out[rung] = evaluate_loaded(oracle, oracle.path, data, start=time.perf_counter(), seed=seed,
                                        n_resamples=n_resamples, progress=progress, name=oracle.name)
        else:
            file = REFERENCE_DIR / ("chroma_reference.py" if rung == "chroma" else "random_baseline.py")
            out[rung] = run_benchmark(file, data, seed=seed, n_resamples=n_resamples, progress=progress, name=rung)
    return out


def write_ladder(path: str | os.PathLike[str], out: str | os.PathLike[str], *, seed: int = 0,
                 n_resamples: int = N_RESAMPLES, progress: bool = False,
                 done: Mapping[str, R.BenchmarkResults] | None = None,
                 log=lambda _: None) -> str | None:
    """Score the ladder beside Table 2 into ``out``: ``ladder/<rung>.json`` and ``ladder.md``.

    Returns the markdown, or None (nothing written) for a release without ground truth
    (``truth.json``), e.g. an FMA build, where no oracle exists. Rungs already in
    ``out/ladder`` for this protocol are kept (resume); ``done`` supplies others. The rungs stay
    out of ``out/results``: they are references, not entries for a leaderboard.
    """
    from nlc.benchmark.results import load_results, save_results
    from nlc.loops.reader import open_dataset

    if open_dataset(path, verify=False).truth() is None:
        return None
    out = Path(out)
    known = dict(done or {})
    for rung in RUNGS:
        file = out / "ladder" / f"{rung}.json"
        if rung not in known and file.is_file():
            known[rung] = load_results(file)
    ladder = run_ladder(path, seed=seed, n_resamples=n_resamples, progress=progress, done=known)
    for rung, res in ladder.items():
        if rung not in (done or {}):
            save_results(res, out / "ladder" / f"{rung}.json")
    text = ladder_table(ladder)
    (out / "ladder.md").write_text(text)
    log(f"validity ladder written to {out / 'ladder.md'}")
    return text


LADDER_METRICS: tuple[str, ...] = ("roc_auc", "accuracy", "average_rank", "top10")
"""Figures of the ladder table (titles and digits from :data:`nlc.benchmark.metrics.METRIC_TABLE`)."""


def ladder_table(ladder: Mapping[str, R.BenchmarkResults]) -> str:
    """The ladder as markdown: each rung's figures with their 95 % intervals, and the protocol's shape."""
    from nlc.benchmark.metrics import metric_info
    from nlc.benchmark.report import fmt, markdown_table

    rows = []
    for rung, res in ladder.items():
        cells = [rung]
        for metric in LADDER_METRICS:
            interval = getattr(res.intervals, metric)
            cells.append(fmt(getattr(res.metrics, metric), metric_info(metric).digits, (interval.low, interval.high)))
        rows.append(cells)
    any_result = next(iter(ladder.values()))
    shape = (f"{any_result.dataset.n_queries} queries x {any_result.dataset.n_candidates} candidates, "
             f"{any_result.dataset.n_classification} classification items")
    return (markdown_table(["rung", *(metric_info(m).title for m in LADDER_METRICS)], rows)
            + f"\n\nValidity ladder on {shape}: oracle = corpus key truth, audible = the same where a key "
              "can be heard (a pair with a drum loop is a guess: the ceiling of harmony heard from audio), "
              "chroma = mean-chroma cosine, random = the floor (95 % bootstrap intervals in brackets).\n")


def separated(high: R.BenchmarkResults, low: R.BenchmarkResults, metric: str) -> bool:
    """True when ``high``'s interval on ``metric`` lies wholly on the better side of ``low``'s."""
    from nlc.benchmark.metrics import metric_info

    a, b = getattr(high.intervals, metric), getattr(low.intervals, metric)
    if metric_info(metric).higher_is_better:
        return a.low > b.high
    return a.high < b.low
