"""The ``datasets`` view of an ``nlc-loops`` release: naming a build, and pairs with their audio.

Two things a Hub user meets that :mod:`nlc.loops.reader` does not cover:

* **Which build is loaded.** ``load_dataset("nlc-loops", ...)`` means the folder ``nlc-loops``
  of the working directory if there is one, and otherwise the Hub repository ``nlc-loops``;
  offline, ``datasets`` then falls back to whatever it cached under that name, possibly an
  older build. :func:`load` takes a path (from anywhere) or a Hub id ``OWNER/NAME`` and
  refuses anything in between, so a local build is always named by its path.
* **Audio of a pair.** Each loop is stored once, in the ``<group>-loops`` config; pair rows
  name their loops by id. :func:`with_audio` joins them into rows with ``source_audio`` and
  ``target_audio`` (``datasets.Audio``), as one call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nlc.errors import InputError
from nlc.spec import SAMPLE_RATE

from nlc.loops.layout import PROTOCOL_JSON


def resolve(name: str | os.PathLike[str]) -> str:
    """What ``datasets.load_dataset`` should be given for ``name``: a build's absolute path or a Hub id.

    Parameters
    ----------
    name : str or path-like
        A folder holding an ``nlc-loops`` build (relative or absolute), or ``OWNER/NAME`` on the Hub.

    Raises
    ------
    InputError
        ``name`` is a folder that is not a build, names no folder and is not ``OWNER/NAME``
        (a bare ``nlc-loops`` from another directory would silently load a cached copy), or
        looks like a path to a folder that does not exist.
    """
    text = os.fspath(name)
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / PROTOCOL_JSON).is_file():
            raise InputError(f"{text}: a folder but not an nlc-loops build (no {PROTOCOL_JSON})")
        return str(path.resolve())
    parts = text.split("/")
    if text.startswith((".", "/", "~")) or len(parts) != 2 or not all(parts):
        raise InputError(f"{text}: no nlc-loops folder there and not a Hub id OWNER/NAME; "
                         f"name a local build by its path, e.g. {str(Path.cwd() / 'nlc-loops')!r}")
    return text


def load(name: str | os.PathLike[str], config: str, **kwargs: Any) -> Any:
    """``datasets.load_dataset`` of a build named unambiguously (see :func:`resolve`).

    ``kwargs`` go to ``load_dataset`` (``split``, ``cache_dir``, ``streaming``, ...). A local
    build is loaded by its absolute path, so ``datasets`` caches it by those files and a
    newer build in the same folder is read again, never shadowed by the old cache.
    """
    from datasets import load_dataset

    return load_dataset(resolve(name), config, **kwargs)


def with_audio(pairs: Any, loops: Any) -> Any:
    """Pair rows with both loops' audio: ``pairs`` plus ``source_audio`` and ``target_audio``.

    Parameters
    ----------
    pairs : datasets.Dataset
        Rows of a pair config split (``load_dataset(path, "cc-by", split="train")``).
    loops : datasets.Dataset
        Rows of the loop config holding those loops (``"cc-by-loops"``, same split; or
        ``"protocol-loops"``).

    Returns
    -------
    datasets.Dataset
        ``pairs`` with two ``Audio(sampling_rate=44100)`` columns; the FLAC bytes are copied
        undecoded and decode on access like any ``datasets`` audio.

    Raises
    ------
    InputError
        A pair names a loop that ``loops`` does not hold.
    """
    from datasets import Audio

    raw = loops.cast_column("audio", Audio(decode=False))
    index = {loop_id: k for k, loop_id in enumerate(raw["loop_id"])}
    audio = raw["audio"]

    def add(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for side in ("source", "target"):
            missing = [i for i in batch[f"{side}_id"] if i not in index]
            if missing:
                raise InputError(f"pair names loop {missing[0]!r}, which the loops given do not hold; "
                                 f"use the same group and split (or protocol-loops)")
            out[f"{side}_audio"] = [audio[index[i]] for i in batch[f"{side}_id"]]
        return out

    joined = pairs.map(add, batched=True, desc="joining loop audio")
    for side in ("source", "target"):
        joined = joined.cast_column(f"{side}_audio", Audio(sampling_rate=SAMPLE_RATE))
    return joined
