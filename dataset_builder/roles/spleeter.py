"""The ``spleeter`` instrumentation backend: Deezer's 4-stem separation, out of process.

The paper detects pure drum and pure bass loops with a source separation model. Spleeter
pins numpy<2 and TensorFlow 2.12, which cannot live in nlc-bench's environment, so it runs
in its own Python interpreter: set ``NLC_SPLEETER_PYTHON`` to that interpreter (a virtualenv
with ``pip install spleeter``) and make its pretrained ``4stems`` model available on disk
(``spleeter separate -p spleeter:4stems ...`` downloads it once into ``$MODEL_PATH/4stems``,
default ``./pretrained_models/4stems``; spleeter marks a complete download with a ``.probe``
file). Nothing is downloaded from here: when the interpreter, the package or the model is
missing, :func:`classify_roles_spleeter` raises an :class:`~nlc.errors.NLCError` that says
which.

A loop is a pure drum loop when the drums stem holds at least :data:`PURE_SHARE` of the
energy of the four stems, a pure bass loop likewise with the bass stem; anything else is
``"other"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from nlc.errors import NLCError

PYTHON_ENV: str = "NLC_SPLEETER_PYTHON"
"""Environment variable naming the Python interpreter that has spleeter installed."""
MODEL_ENV: str = "MODEL_PATH"
"""spleeter's own variable for the folder of pretrained models (default ``pretrained_models``)."""
PURE_SHARE: float = 0.8
"""Share of the stems' energy one stem must hold for a loop to count as pure drum / bass."""
MODEL = "4stems"
_TIMEOUT_S = 3600

# Runs inside the spleeter environment: separates each WAV and prints per-stem energies.
_SCRIPT = r"""
import json, sys
import numpy as np
from spleeter.audio.adapter import AudioAdapter
from spleeter.separator import Separator

separator = Separator("spleeter:4stems", multiprocess=False)
adapter = AudioAdapter.default()
energies = []
for path in sys.argv[1:]:
    waveform, _ = adapter.load(path, sample_rate=44100)
    stems = separator.separate(waveform)
    energies.append({name: float(np.sum(np.square(audio, dtype=np.float64))) for name, audio in stems.items()})
print(json.dumps(energies))
"""


def model_dir() -> Path:
    """Where spleeter looks for its 4-stem model: ``$MODEL_PATH/4stems``."""
    return Path(os.environ.get(MODEL_ENV, "pretrained_models")) / MODEL


def unavailable_reason() -> str | None:
    """Why the spleeter backend cannot run here, or ``None`` when it can."""
    python = os.environ.get(PYTHON_ENV)
    if not python:
        return (f"the spleeter backend needs {PYTHON_ENV} set to a Python interpreter with spleeter installed "
                "(spleeter pins numpy<2 and TensorFlow 2.12, so it lives in its own environment)")
    if not Path(python).is_file() or not os.access(python, os.X_OK):
        return f"{PYTHON_ENV}={python!r} is not an executable file"
    probe = subprocess.run([python, "-c", "import spleeter.separator"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        return f"spleeter cannot be imported by {python}: {last}"
    if not (model_dir() / ".probe").is_file():
        return (f"spleeter's pretrained 4stems model is not on disk at {model_dir()} "
                f"(download it once in the spleeter environment, or set {MODEL_ENV})")
    return None


def roles_from_energies(energies: list[dict[str, float]], *, pure_share: float = PURE_SHARE) -> list[str]:
    """Role of each loop from its stems' energies (keys ``vocals, drums, bass, other``)."""
    roles = []
    for stems in energies:
        total = sum(stems.values())
        if total <= 0:
            roles.append("other")
        elif stems.get("drums", 0.0) / total >= pure_share:
            roles.append("drum")
        elif stems.get("bass", 0.0) / total >= pure_share:
            roles.append("bass")
        else:
            roles.append("other")
    return roles


def classify_roles_spleeter(loops: np.ndarray, *, sr: int) -> list[str]:
    """Roles of ``loops`` (shape (n_loops, n_samples), float) by 4-stem separation.

    Raises
    ------
    NLCError
        When the spleeter environment or model is missing, or the separation fails.
    """
    reason = unavailable_reason()
    if reason is not None:
        raise NLCError(reason)
    from nlc.audio import write_wav

    with tempfile.TemporaryDirectory(prefix="nlc-spleeter-") as tmp:
        paths = [str(write_wav(Path(tmp) / f"{i:05d}.wav", loop, sr=sr, subtype="FLOAT")) for i, loop in enumerate(loops)]
        proc = subprocess.run([os.environ[PYTHON_ENV], "-c", _SCRIPT, *paths], capture_output=True, text=True,
                              check=False, timeout=_TIMEOUT_S)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no error output"])[-1]
        raise NLCError(f"spleeter separation failed: {last}")
    try:
        energies = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise NLCError("spleeter separation printed no stem energies") from None
    if len(energies) != len(loops):
        raise NLCError(f"spleeter returned {len(energies)} results for {len(loops)} loops")
    return roles_from_energies(energies)
