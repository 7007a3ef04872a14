"""Loop-extraction speed: seconds per song, end to end, on one core.

Usage::

    .venv/bin/python bench/extraction_speed.py CORPUS [CORPUS ...] [--songs N] [--tile-minutes 3]

Every song of each corpus (``fma_full/*/*.wav|mp3``) goes through :func:`extract_song`
(decode, beats, tensor, decomposition, separation, refinement, pairs, stretch, write) in
one process limited to one thread (threadpoolctl). ``--tile-minutes M`` repeats each song's
audio up to M minutes first (written to a temporary WAV), to time 3-minute songs from a
corpus of short ones. Printed: the one-off warm-up (imports, librosa/numba compilation),
median and max seconds per song for decode->pairs and for the whole call, and the median
seconds of every step, so one sees where the time goes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PAIR_STEPS = ("decode", "spectrogram", "beats", "tensor", "decomposition", "separation", "refinement", "pairs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", type=Path, nargs="+")
    parser.add_argument("--songs", type=int, default=100, help="songs per corpus (first N)")
    parser.add_argument("--tile-minutes", type=float, default=None, help="repeat each song to this length first")
    parser.add_argument("--variant", choices=("default", "paper"), default="default")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    import soundfile as sf
    from threadpoolctl import threadpool_limits

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
    from nlc.errors import NLCError

    config = ExtractionConfig.paper() if args.variant == "paper" else ExtractionConfig()
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        warm_song = None
        for corpus in args.corpora:
            songs = sorted(p for p in (corpus / "fma_full").glob("*/*") if p.suffix in (".wav", ".mp3"))[: args.songs]
            if not songs:
                print(f"{corpus}: no songs", file=sys.stderr)
                continue
            if warm_song is None:
                warm_song = songs[0]
                extract_song(warm_song, out, song_id="warmup", config=config)
                print(f"warm-up (imports + numba compilation + first song): {time.perf_counter() - t0:.1f} s")
            rows, failed, lengths = [], 0, []
            for path in songs:
                src = path
                if args.tile_minutes:
                    audio = load_audio(path)
                    reps = int(np.ceil(args.tile_minutes * 60 * 44_100 / audio.size))
                    src = Path(tmp) / f"{path.stem}.wav"
                    sf.write(src, np.tile(audio, reps)[: int(args.tile_minutes * 60 * 44_100)], 44_100, subtype="FLOAT")
                try:
                    start = time.perf_counter()
                    summary = extract_song(src, out, song_id=path.stem, config=config)
                    wall = time.perf_counter() - start
                except NLCError as exc:
                    failed += 1
                    print(f"  skip {path.name}: {exc}", file=sys.stderr)
                    continue
                t = summary["timings"]
                rows.append({**t, "wall": wall, "to_pairs": sum(t.get(k, 0.0) for k in PAIR_STEPS)})
                lengths.append(summary["downbeats"][-1] - summary["downbeats"][0])
            if not rows:
                continue
            med = {k: float(np.median([r.get(k, 0.0) for r in rows])) for k in rows[0]}
            print(f"{corpus} ({args.variant}): {len(rows)} songs, {failed} skipped, median {np.median(lengths):.0f} s of bars per song"
                  + (f", tiled to {args.tile_minutes:g} min" if args.tile_minutes else ""))
            print(f"  decode->pairs s/song: median {med['to_pairs']:.2f}  max {max(r['to_pairs'] for r in rows):.2f}")
            print(f"  whole extract_song s/song (+stretch, write): median {med['wall']:.2f}  max {max(r['wall'] for r in rows):.2f}")
            print("  median per step: " + ", ".join(f"{k} {med[k]:.3f}" for k in rows[0] if k not in ("wall", "to_pairs", "total")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
