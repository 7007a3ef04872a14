"""FMA-shaped metadata of a synthetic song: artist, title, album, license, split.

Everything is drawn from ``default_rng([seed, track_id, 7])``, so a song's row never
depends on which other songs were rendered. Licenses mix FMA's real Creative Commons
titles (several versions and jurisdictions) with a few non-CC ones, so that the dataset
builder's license handling sees what FMA holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nlc.dataset_builder.corpus.fma_license_strings import FMA_CC_LICENSES, FMA_OTHER_LICENSES, NON_CC_SHARE
from nlc.dataset_builder.fma_metadata import HIPHOP_GENRE_ID, HIPHOP_GENRE_TITLE

_SYLLABLES = ("ka", "lo", "mi", "ra", "ze", "tu", "no", "vi", "sa", "de", "ju", "bo", "ri", "xa", "el", "qu")
_WORDS = ("Night", "Concrete", "Velvet", "Echo", "Summer", "Static", "Golden", "Midnight", "Paper", "River",
          "Smoke", "Neon", "Silent", "Copper", "Window", "Cipher", "Lantern", "Harbor", "Orbit", "Signal")
_SPLIT_P = (0.8, 0.1, 0.1)


def _name(rng: np.random.Generator, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES, size=parts)).capitalize()


def synth_row(track_id: int, *, seed: int, duration_s: float, tempo: int) -> dict[tuple[str, str], Any]:
    """The tracks.csv row of synthetic track ``track_id`` (FMA columns; others left empty)."""
    rng = np.random.default_rng([seed, track_id, 7])
    artist_id = int(rng.integers(1, 400))
    artist = f"{_name(rng, 2)} {_name(rng, int(rng.integers(2, 4)))}" if rng.random() < 0.6 else f"MC {_name(rng, 3)}"
    title = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 4)), replace=False))
    if rng.random() < NON_CC_SHARE:
        license_ = str(rng.choice(FMA_OTHER_LICENSES))
    else:
        license_ = str(rng.choice(FMA_CC_LICENSES))
    created = np.datetime64("2015-01-01T00:00:00") + np.timedelta64(int(rng.integers(0, 5 * 365 * 86400)), "s")
    split = str(rng.choice(("training", "validation", "test"), p=_SPLIT_P))
    return {
        ("album", "id"): int(rng.integers(1, 2000)),
        ("album", "title"): f"{title} Tape",
        ("album", "type"): "Album",
        ("album", "tags"): [],
        ("album", "tracks"): int(rng.integers(4, 15)),
        ("artist", "id"): artist_id,
        ("artist", "name"): artist,
        ("artist", "tags"): [],
        ("set", "split"): split,
        ("set", "subset"): "large",
        ("track", "bit_rate"): 16 * 44_100,  # mono 16-bit PCM WAV
        ("track", "date_created"): str(created).replace("T", " "),
        ("track", "duration"): int(round(duration_s)),
        ("track", "genre_top"): HIPHOP_GENRE_TITLE,
        ("track", "genres"): [HIPHOP_GENRE_ID],
        ("track", "genres_all"): [HIPHOP_GENRE_ID],
        ("track", "license"): license_,
        ("track", "number"): int(rng.integers(1, 12)),
        ("track", "tags"): ["synthetic", f"{tempo}bpm"],
        ("track", "title"): title,
        ("track", "composer"): "nlc-bench synthetic corpus",
        ("track", "language_code"): None,
        ("track", "listens"): int(rng.integers(50, 5000)),
        ("track", "favorites"): int(rng.integers(0, 20)),
        ("track", "interest"): int(rng.integers(100, 10000)),
        ("track", "comments"): 0,
    }
