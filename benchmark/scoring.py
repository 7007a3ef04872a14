"""Score a submission on the frozen protocol tables: the benchmark's inner loop.

* **Classification**: every row's pair ``(audio[query], transform(audio[candidate]))`` is
  built as the contract defines it (:func:`nlc.loops.protocol_tables.row_recipe` names the
  transform, :func:`nlc.loops.negatives.apply_recipe` applies it) in batches of
  ``batch_size`` rows and scored with the submission's ``score``.
* **Ranking**: an embedding model (one defining ``embed``) embeds each *distinct* loop
  once, in batches, and a candidate's ranking score is minus its Euclidean distance to the
  query; a pair model scores all ``query x candidate`` rows with ``score``.

Audio comes from ``audio_fn(ids) -> (n, 88200)``, in practice
:meth:`LoopsDataset.loop_audio`, whose LRU cache decodes each loop once per run; it is
asked once per block of :data:`BLOCK_ROWS` rows for that block's distinct loops. Every
batch's output goes through :mod:`nlc.benchmark.outputs`, so a NaN on real data stops the
run with a one-line :class:`~nlc.errors.SubmissionError` naming the items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nlc.benchmark.outputs import call, check_embeddings, check_scores
from nlc.errors import InputError
from nlc.loops.negatives import apply_recipe
from nlc.loops.protocol_tables import row_recipe
from nlc.protocol import LoadedSubmission

AudioFn = Callable[[list[str]], np.ndarray]
DEFAULT_BATCH_SIZE: int = 64
"""Pairs (or loops, for ``embed``) per call to the submission.

64 pairs are 2 x 22.6 MB of audio: under glibc's 32 MB mmap threshold, so the batch
buffers are reused rather than mapped and page-faulted afresh for every call (at 256
pairs that alone cost the harness about a tenth of a second per batch here)."""
BLOCK_ROWS: int = 2048
"""Protocol rows whose distinct loops are held in memory at once (about 1,000-2,500 loops)."""


@dataclass(frozen=True)
class RankedQuery:
    """One ranking query's candidates in protocol order and their ranking scores."""

    query_id: str
    target_id: str
    candidate_ids: list[str]
    scores: np.ndarray


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="pair", disable=not enabled, leave=False, dynamic_ncols=True)


def _blocks(table: pd.DataFrame, audio_fn: AudioFn, block_rows: int):
    """Yield ``(offset, rows, audio, query_index, candidate_index)`` per block of rows.

    Each block's distinct loops are fetched once into one matrix; batches then copy their
    pairs out of it with one fancy index per side (a test pins the result to a plain
    row-by-row construction).
    """
    for lo in range(0, len(table), block_rows):
        rows = table.iloc[lo:lo + block_rows]
        ids = sorted(set(rows["query_id"]) | set(rows["candidate_id"]))
        index = {loop_id: k for k, loop_id in enumerate(ids)}
        audio = np.asarray(audio_fn(ids), dtype=np.float32)
        q = np.fromiter((index[i] for i in rows["query_id"]), dtype=np.int64, count=len(rows))
        c = np.fromiter((index[i] for i in rows["candidate_id"]), dtype=np.int64, count=len(rows))
        yield lo, rows, audio, q, c


def pair_audio(rows: pd.DataFrame, audio: np.ndarray, q: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sources and (transformed) candidates of ``rows``, fresh float32 arrays (len(rows), n)."""
    sources, candidates = audio[q], audio[c]
    for k, (method, shift, perm) in enumerate(zip(rows["method"], rows["shift_beats"], rows["permutation"])):
        recipe = row_recipe(method, shift, perm)
        if recipe is not None:
            candidates[k] = apply_recipe(recipe, candidates[k])
    return sources, candidates


def score_pairs(
    sub: LoadedSubmission, table: pd.DataFrame, audio_fn: AudioFn, *,
    batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = False, desc: str = "scoring",
    block_rows: int = BLOCK_ROWS,
) -> np.ndarray:
    """``score`` of every row's evaluated pair, shape (len(table),) float64, in table order.

    ``block_rows`` bounds memory: the distinct loops of that many rows are held at once.
    """
    if batch_size < 1:
        raise InputError(f"batch size must be >= 1, got {batch_size}")
    out = np.empty(len(table), dtype=np.float64)
    block_rows = max(batch_size, block_rows - block_rows % batch_size)
    with _progress(len(table), desc, progress) as bar:
        for offset, rows, audio, q, c in _blocks(table, audio_fn, block_rows):
            for lo in range(0, len(rows), batch_size):
                part = slice(lo, lo + batch_size)
                batch = rows.iloc[part]
                sources, candidates = pair_audio(batch, audio, q[part], c[part])
                where = f"items {batch['item_id'].iloc[0]}..{batch['item_id'].iloc[-1]}"
                raw = call(sub.score, sources, candidates, what=f"score() on {where}")
                out[offset + lo:offset + lo + len(batch)] = check_scores(raw, len(batch), what=f"score() on {where}")
                bar.update(len(batch))
    return out


def _transform_key(row) -> tuple:
    """What makes a materialised candidate distinct: its loop and its transform."""
    recipe = row_recipe(row.method, row.shift_beats, row.permutation)
    if recipe is None:
        return (row.candidate_id, "identity", None, ())
    return (row.candidate_id, recipe.method, recipe.shift_beats, recipe.permutation or ())


def _key_audio(keys: list[tuple], audio_fn: AudioFn) -> np.ndarray:
    """Audio of materialised candidates given by :func:`_transform_key` keys."""
    ids = sorted({k[0] for k in keys})
    audio = dict(zip(ids, np.asarray(audio_fn(ids), dtype=np.float32)))
    out = []
    for loop_id, method, shift, perm in keys:
        recipe = None if method == "identity" else row_recipe(method, shift, perm)
        out.append(audio[loop_id] if recipe is None else apply_recipe(recipe, audio[loop_id]))
    return np.stack(out)


def _embed_all(
    sub: LoadedSubmission, table: pd.DataFrame, audio_fn: AudioFn, *, batch_size: int, progress: bool,
) -> dict[tuple, np.ndarray]:
    """Embeddings of every distinct query loop and every distinct materialised candidate.

    A loop that is both a query and an untransformed candidate is embedded once.
    """
    queries = [(q, "identity", None, ()) for q in dict.fromkeys(table["query_id"])]
    keys = list(dict.fromkeys(queries + [_transform_key(r) for r in table.itertuples(index=False)]))
    embeddings: dict[tuple, np.ndarray] = {}
    dim = None
    with _progress(len(keys), "embedding", progress) as bar:
        for lo in range(0, len(keys), batch_size):
            chunk = keys[lo:lo + batch_size]
            what = f"embed() on loops {chunk[0][0]}..{chunk[-1][0]}"
            vectors = check_embeddings(call(sub.embed, _key_audio(chunk, audio_fn), what=what), len(chunk), dim=dim, what=what)
            dim = vectors.shape[1]
            embeddings.update(zip(chunk, vectors))
            bar.update(len(chunk))
    return embeddings


def rank_queries(
    sub: LoadedSubmission, table: pd.DataFrame, audio_fn: AudioFn, *,
    batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = False,
) -> list[RankedQuery]:
    """Ranking scores of every query's candidates (``embed`` distance if defined, else ``score``).

    Queries come in order of first appearance in ``table``; candidates in table order.
    """
    if sub.has_embed:
        vec = _embed_all(sub, table, audio_fn, batch_size=batch_size, progress=progress)
        queries = np.stack([vec[(q, "identity", None, ())] for q in table["query_id"]])
        candidates = np.stack([vec[_transform_key(r)] for r in table.itertuples(index=False)])
        flat = -np.linalg.norm(queries - candidates, axis=1)
    else:
        flat = score_pairs(sub, table, audio_fn, batch_size=batch_size, progress=progress, desc="ranking")
    out = []
    for query_id, idx in table.groupby("query_id", sort=False).indices.items():
        rows = table.iloc[idx]
        targets = rows["candidate_id"][rows["label"] == 1].tolist()
        if len(targets) != 1:
            raise InputError(f"ranking query {query_id!r} has {len(targets)} true targets, expected 1")
        out.append(RankedQuery(str(query_id), str(targets[0]), [str(c) for c in rows["candidate_id"]], flat[idx]))
    return out


def check_nonempty(classification: pd.DataFrame, ranking: pd.DataFrame, where: str) -> None:
    """Refuse protocol tables the metrics cannot be computed on (one line naming ``where``)."""
    if classification.empty:
        raise InputError(f"{where}: the classification protocol table is empty")
    if ranking.empty:
        raise InputError(f"{where}: the ranking protocol table is empty (corpus too small for a test split?)")
    if classification["label"].nunique() < 2:
        raise InputError(f"{where}: the classification table holds only one class")


__all__ = ["AudioFn", "RankedQuery", "check_nonempty", "rank_queries", "score_pairs"]
