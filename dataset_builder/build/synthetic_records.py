"""Synthetic finished-song records: a complete dataset without loop extraction, in seconds.

Tests of every subsystem need a real ``nlc-loops/`` folder, and benchmarks of the reader
need a big one; extracting loops from audio would take minutes. These helpers synthesise
2-s loops (kick/snare patterns, bass lines, chords), record them as finished songs in a
build work folder exactly as :mod:`~nlc.dataset_builder.build.builder` would, and release them
with the real :func:`~nlc.dataset_builder.build.assemble.assemble` (pairs, splits, frozen
protocol, Parquet shards, card). Only extraction is bypassed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from nlc.loops.layout import key_name
from nlc.spec import BEAT_SAMPLES, LOOP_SAMPLES, SAMPLE_RATE

TINY_SONGS: int = 20
TINY_SEED: int = 7
TINY_LICENSES: tuple[str, ...] = ("cc-by",) * 7 + ("cc-by-nc-sa",) * 3 + ("cc0",) * 2
"""License group of song ``k`` is ``licenses[k % len(licenses)]``."""
_RAW = {"cc-by": "Attribution 4.0 International",
        "cc-by-sa": "Attribution-ShareAlike 4.0 International",
        "cc-by-nd": "Attribution-NoDerivatives 4.0 International",
        "cc-by-nc": "Attribution-NonCommercial 4.0 International",
        "cc-by-nc-sa": "Attribution-Noncommercial-Share Alike 3.0 United States",
        "cc-by-nc-nd": "Attribution-NonCommercial-NoDerivatives 4.0 International",
        "cc0": "CC0 1.0 Universal"}


MAJOR_SCALE: tuple[int, ...] = (0, 2, 4, 5, 7, 9, 11)
"""Semitones of the major scale: a keyed song's bass notes and chord roots come from it."""


def synth_loop(role: str, *, rng: np.random.Generator, key: int | None = None) -> np.ndarray:
    """One 2-s loop (88,200 samples at 44.1 kHz) of a drum, bass or chord part.

    ``key`` (0-11, a major key's tonic) draws the bass notes from its scale and builds the
    chord on its tonic, fourth or fifth, so loops of one keyed song are in one key; None
    draws them from the chromatic scale (the tiny test release's loops).
    """
    t = np.arange(LOOP_SAMPLES) / SAMPLE_RATE
    out = np.zeros(LOOP_SAMPLES, dtype=np.float64)
    if role == "drum":
        decay = np.exp(-np.arange(4000) / 400.0)
        for beat in range(4):
            start = beat * BEAT_SAMPLES
            if beat % 2 == 0:
                out[start:start + 4000] += np.sin(2 * np.pi * 55 * np.arange(4000) / SAMPLE_RATE) * decay
            else:
                out[start:start + 4000] += rng.standard_normal(4000) * decay * 0.6
    elif role == "bass":
        steps = rng.integers(0, 12, size=4) if key is None else key + np.array(MAJOR_SCALE)[rng.integers(0, 7, size=4)]
        notes = 41.2 * 2 ** (steps / 12)
        for beat, f in enumerate(notes):
            seg = slice(beat * BEAT_SAMPLES, (beat + 1) * BEAT_SAMPLES)
            out[seg] = np.sin(2 * np.pi * f * t[seg]) * np.exp(-np.arange(BEAT_SAMPLES) / 8000.0)
    else:
        step = rng.integers(0, 12) if key is None else (key + (0, 5, 7)[rng.integers(0, 3)]) % 12
        root = 220 * 2 ** (step / 12)
        # keyed: random phases, so one chord in two songs (I of E, IV of B) is never the same audio
        phases = np.zeros(3) if key is None else rng.uniform(0, 2 * np.pi, size=3)
        for ratio, phase in zip((1.0, 1.26, 1.5), phases):
            out += np.sin(2 * np.pi * root * ratio * t + phase) / 3
        out *= 0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t) ** 2
    return (0.5 * out / max(np.abs(out).max(), 1e-9)).astype(np.float32)


def _wav_bytes(audio: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def make_records(work_root: Path, *, n_songs: int = TINY_SONGS, seed: int = TINY_SEED,
                 licenses: Sequence[str] = TINY_LICENSES, keyed: bool = False):
    """Record ``n_songs`` synthetic finished songs in a work folder; returns (WorkDir, songs, truth).

    ``keyed`` gives every song a major key (drawn from its own generator) and ``truth`` maps
    song id to ``{"tempo", "key"}``; unkeyed (the tiny test release), ``truth`` is None."""
    from nlc.dataset_builder.build.workdir import WorkDir

    rng = np.random.default_rng(seed)
    work = WorkDir(work_root)
    work.prepare({"tiny": True})
    songs = []
    truth: dict[str, dict[str, object]] = {}
    for k in range(n_songs):
        song_id = f"{100 + k:06d}"
        roles = ["drum", "bass", "other"] + (["other"] if k % 2 else [])
        ids = [f"loop{j:02d}" for j in range(len(roles))]
        key = int(np.random.default_rng([seed, k]).integers(0, 12)) if keyed else None
        files = {f"loops/{i}.wav": _wav_bytes(synth_loop(r, rng=rng, key=key)) for i, r in zip(ids, roles)}
        pairs = "loop_a,loop_b\n" + "".join(f"{a},{b}\n" for x, a in enumerate(ids) for b in ids[x + 1:])
        files["pairs.csv"] = pairs.encode()
        tempo = float(rng.uniform(80, 110))
        files["summary.json"] = json.dumps({"song_id": song_id, "tempo": tempo, "n_bars": 16, "loops": ids}).encode()
        if key is not None:
            truth[song_id] = {"tempo": tempo, "key": key_name(key, "major")}
        buf = io.BytesIO()
        np.save(buf, np.ones((16, len(ids)), dtype=np.float32))
        files["layout.npy"] = buf.getvalue()
        work.store_song(song_id, files, roles=dict(zip(ids, roles)))
        group = licenses[k % len(licenses)]
        songs.append({"song_id": song_id, "audio_path": f"fma_full/{song_id[:3]}/{song_id}.wav", "subset": "full",
                      "license": group, "license_raw": _RAW[group], "artist": f"Artist {k}",
                      "title": f"Song {k}", "duration": 60.0})
    return work, pd.DataFrame(songs), (truth if keyed else None)


def build_synthetic_dataset(out: Path, *, work_root: Path, n_songs: int = TINY_SONGS,
                            seed: int = TINY_SEED, licenses: Sequence[str] = TINY_LICENSES,
                            keyed: bool = False) -> Path:
    """Build a synthetic dataset folder of ``n_songs`` songs at ``out`` (see the module docstring)."""
    from nlc.dataset_builder.build.assemble import assemble

    work, songs, truth = make_records(work_root, n_songs=n_songs, seed=seed, licenses=licenses, keyed=keyed)
    assemble(work, songs, out, seed=seed, n_test=100,
             report={"corpus": {"name": "tiny-synthetic", "kind": "synthetic", "seed": seed, "songs": len(songs),
                                "generator": "nlc.dataset_builder.build.synthetic_records"},
                     "songs": {"processed": len(songs)}, "failed": {}}, truth=truth)
    return out
