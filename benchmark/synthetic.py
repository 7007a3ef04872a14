"""A frozen protocol over generated loops, held in memory: for tests and ``bench/``.

The speed benchmark must run at paper scale (about 6,400 classification pairs and 100 x
100 ranking pairs) without a built dataset, and the tests need a protocol in seconds. This
module makes a pairs table of generated songs, freezes both protocol tables with the
dataset builder's own :func:`~nlc.loops.protocol_tables.freeze_classification`
and :func:`~nlc.loops.protocol_tables.freeze_ranking` (so the negatives are
exactly those of a real build), and synthesises each loop's audio: per song a key
(fundamental) and per loop a role, drums as decaying noise bursts on the beats, bass as a
low sine, "other" loops as chords of the song's key.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from nlc.benchmark.run import ProtocolData
from nlc.errors import InputError
from nlc.spec import BEAT_SAMPLES, BEATS_PER_LOOP, LOOP_SAMPLES, SAMPLE_RATE

_ROLES: tuple[str, ...] = ("drum", "bass", "other", "other")


def synthetic_pairs(
    *, n_validation_songs: int, pairs_per_song: int, n_test_songs: int, loops_per_song: int = 6, seed: int = 0
) -> pd.DataFrame:
    """Positive pairs of generated songs with ``split`` set (validation or test).

    Validation songs contribute ``pairs_per_song`` pairs among their ``loops_per_song``
    loops; test songs one pair each (the ranking protocol's rule).
    """
    rng = np.random.default_rng(seed)
    all_pairs = [(a, b) for a in range(loops_per_song) for b in range(loops_per_song) if a != b]
    if pairs_per_song > len(all_pairs):
        raise InputError(f"{loops_per_song} loops give at most {len(all_pairs)} ordered pairs, not {pairs_per_song}")
    rows = []
    for s in range(n_validation_songs + n_test_songs):
        song = f"{s:06d}"
        split = "test" if s < n_test_songs else "validation"
        chosen = rng.choice(len(all_pairs), size=1 if split == "test" else pairs_per_song, replace=False)
        for k in chosen:
            a, b = all_pairs[k]
            rows.append({
                "pair_id": f"{song}-{a:02d}-{b:02d}", "song_id": song,
                "source_id": f"{song}/loop{a:02d}", "target_id": f"{song}/loop{b:02d}",
                "source_role": _ROLES[a % len(_ROLES)], "target_role": _ROLES[b % len(_ROLES)], "split": split,
            })
    return pd.DataFrame(rows)


def synthetic_loop(loop_id: str, *, seed: int = 0) -> np.ndarray:
    """Deterministic audio of one generated loop, shape (88200,) float32, from its id."""
    song, local = loop_id.split("/")
    index = int(local.removeprefix("loop"))
    digest = hashlib.sha256(f"{seed}:{loop_id}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    f0 = 110.0 * 2 ** ((int(song) % 12) / 12)  # the song's key
    t = np.arange(LOOP_SAMPLES) / SAMPLE_RATE
    role = _ROLES[index % len(_ROLES)]
    if role == "drum":
        env = np.tile(np.exp(-np.arange(BEAT_SAMPLES) / rng.uniform(800, 3000)), BEATS_PER_LOOP)
        audio = 0.5 * rng.standard_normal(LOOP_SAMPLES) * env
    elif role == "bass":
        audio = 0.5 * np.sin(2 * np.pi * f0 / 2 * t) * np.tile(np.linspace(1, 0.3, BEAT_SAMPLES), BEATS_PER_LOOP)
    else:
        ratios = rng.choice([1.0, 1.25, 1.5, 2.0, 2.5, 3.0], size=3, replace=False)
        audio = sum(0.2 * np.sin(2 * np.pi * f0 * 2 * r * t + rng.uniform(0, 2 * np.pi)) for r in ratios)
    return (audio + 0.01 * rng.standard_normal(LOOP_SAMPLES)).astype(np.float32)


def synthetic_protocol(
    *, n_validation_songs: int = 40, pairs_per_song: int = 4, n_test_songs: int = 10,
    loops_per_song: int = 6, n_candidates: int = 100, seed: int = 0,
) -> ProtocolData:
    """Frozen classification and ranking tables over generated loops, audio pre-generated.

    Every distinct loop's audio is generated once up front; ``audio_fn`` looks it up.
    """
    from nlc.loops.protocol_tables import PROTOCOL_VERSION, freeze_classification, freeze_ranking, protocol_hash

    pairs = synthetic_pairs(n_validation_songs=n_validation_songs, pairs_per_song=pairs_per_song,
                            n_test_songs=n_test_songs, loops_per_song=loops_per_song, seed=seed)
    cls = freeze_classification(pairs, seed=seed)
    rnk = freeze_ranking(pairs, seed=seed, n_candidates=n_candidates)
    ids = sorted(set(cls["query_id"]) | set(cls["candidate_id"]) | set(rnk["query_id"]) | set(rnk["candidate_id"]))
    audio = {i: synthetic_loop(i, seed=seed) for i in ids}
    content = protocol_hash(cls, rnk)
    return ProtocolData(
        protocol_version=PROTOCOL_VERSION, content_hash=content, dataset_fingerprint=f"synthetic-{seed}",
        classification=cls, ranking=rnk, audio_fn=lambda wanted: np.stack([audio[i] for i in wanted]),
    )
