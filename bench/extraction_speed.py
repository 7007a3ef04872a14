"""Loop-extraction speed: seconds per song, end to end, on one core.

Usage::

    .venv/bin/python bench/extraction_speed.py CORPUS [CORPUS ...] [--songs N] [--tile-minutes 3] [--beat-tracker rnn|onset]

Every song of each corpus (``fma_full/*/*.wav|mp3``) goes through :func:`extract_song`
(decode, beats, tensor, decomposition, separation, refinement, pairs, stretch, write) in
one process limited to one thread (``pipeline.single_threaded``). ``--tile-minutes M`` repeats each song's
audio up to M minutes first (written to a temporary WAV), to time 3-minute songs from a
corpus of short ones. Printed: the one-off warm-up (imports, librosa/numba compilation),
median and max seconds per song for decode->pairs and for the whole call, the median CPU
seconds (this process and its children: robust to other jobs sharing the machine, which
inflate wall times), the median wall and CPU seconds of every step, so one sees where the
time goes, and the load average before and after (``os.getloadavg``).

Measured 2026-12-02 with the default RNN beat tracker (load average ~0.5-0.9)::

    /tmp/lmms-corpus --tile-minutes 3   25 songs, 178 s of bars, 13 loops/song
      decode->pairs CPU median 3.47 max 4.32 | whole call CPU median 4.00 max 4.86
      median CPU per step: beats 2.796, decomposition 0.311, stretch 0.492, spectrogram 0.219

Measured 2026-11-26 with the onset grid (the default until 2026-12-02, now ``--beat-tracker onset``;
2-core machine shared with the team, load average 5-7; wall ~2x CPU)::

    /tmp/lmms-corpus --tile-minutes 3   25 songs, 178 s of bars, 12 loops/song
      decode->pairs wall median 0.46 max 0.63 | CPU median 0.31 max 0.40
      whole call    wall median 1.03 max 1.26 | CPU median 0.67 max 0.76
      median CPU per step: decode 0.012, spectrogram 0.106, beats 0.049, decomposition 0.086,
      separation 0.053, stretch 0.330, write 0.015
    /tmp/lmms-corpus                    22 songs (3 skipped), 204 s of bars, stereo WAV
      decode->pairs wall median 0.75 max 1.33 | CPU median 0.46 max 0.83
    /tmp/synth100                       99 songs (1 skipped), 58 s of bars
      decode->pairs wall median 0.28 max 0.65 | CPU median 0.13 max 0.27
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


PAIR_STEPS = ("decode", "spectrogram", "beats", "tensor", "decomposition", "separation", "refinement", "pairs")


def main(argv: list[str] | None = None) -> int:
    from nlc.dataset_builder.extraction.config import BEAT_TRACKERS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", type=Path, nargs="+")
    parser.add_argument("--songs", type=int, default=100, help="songs per corpus (first N)")
    parser.add_argument("--tile-minutes", type=float, default=None, help="repeat each song to this length first")
    parser.add_argument("--variant", choices=("default", "paper"), default="default")
    parser.add_argument("--beat-tracker", choices=BEAT_TRACKERS, default=None,
                        help="step 1's tracker (default: the variant's, rnn)")
    args = parser.parse_args(argv)

    print(f"start: {_load()}")
    t0 = time.perf_counter()
    import soundfile as sf

    from nlc.audio import load_audio
    from nlc.dataset_builder.extraction import ExtractionConfig, extract_song
    from nlc.dataset_builder.extraction.pipeline import cpu_seconds, single_threaded
    from nlc.errors import NLCError

    config = ExtractionConfig.paper() if args.variant == "paper" else ExtractionConfig()
    if args.beat_tracker:
        config = config.replace(beat_tracker=args.beat_tracker)
    with single_threaded(), tempfile.TemporaryDirectory() as tmp:
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
            rows, cpu_rows, failed, lengths, n_loops = [], [], 0, [], []
            for path in songs:
                src = path
                if args.tile_minutes:
                    audio = load_audio(path)
                    reps = int(np.ceil(args.tile_minutes * 60 * 44_100 / audio.size))
                    src = Path(tmp) / f"{path.stem}.wav"
                    sf.write(src, np.tile(audio, reps)[: int(args.tile_minutes * 60 * 44_100)], 44_100, subtype="FLOAT")
                try:
                    start, cpu0 = time.perf_counter(), cpu_seconds()
                    summary = extract_song(src, out, song_id=path.stem, config=config)
                    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
                except NLCError as exc:
                    failed += 1
                    print(f"  skip {path.name}: {exc}", file=sys.stderr)
                    continue
                t, c = summary["timings"], summary["cpu_timings"]
                rows.append({**t, "wall": wall, "to_pairs": sum(t.get(k, 0.0) for k in PAIR_STEPS)})
                cpu_rows.append({**c, "wall": cpu, "to_pairs": sum(c.get(k, 0.0) for k in PAIR_STEPS)})
                lengths.append(summary["downbeats"][-1] - summary["downbeats"][0])
                n_loops.append(len(summary["loops"]))
            if not rows:
                continue
            print(f"{corpus} ({args.variant}): {len(rows)} songs, {failed} skipped, "
                  f"median {np.median(lengths):.0f} s of bars per song"
                  + (f", tiled to {args.tile_minutes:g} min" if args.tile_minutes else ""))
            for kind, table in (("wall", rows), ("CPU", cpu_rows)):
                med = {k: float(np.median([r.get(k, 0.0) for r in table])) for k in table[0]}
                top = {k: max(r[k] for r in table) for k in ("to_pairs", "wall")}
                print(f"  {kind} s/song decode->pairs: median {med['to_pairs']:.2f}  max {top['to_pairs']:.2f};"
                      f"  whole extract_song (+stretch, write): median {med['wall']:.2f}  max {top['wall']:.2f}")
                print(f"    median {kind} s per step: " + ", ".join(f"{k} {med[k]:.3f}" for k in table[0]
                                                               if k not in ("wall", "to_pairs", "total")))
            print(f"  loops/song: median {np.median(n_loops):.0f}; {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
