"""Fixtures of the listening-test kit: benchmark results of two cheap models on the
shared ``tiny_dataset``, and the stimulus folder made from them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

# Two fast, deterministic submissions with different rankings (no spectrogram).
MODELS = {
    "loudness": """
        import numpy as np
        THRESHOLD = -0.05
        def load_model():
            return None
        def score(model, sources, targets):
            rms = lambda x: np.sqrt((x.astype(np.float64) ** 2).mean(axis=1))
            return -np.abs(rms(sources) - rms(targets))
    """,
    "brightness": """
        import numpy as np
        THRESHOLD = 0.5
        def load_model():
            return None
        def score(model, sources, targets):
            zc = lambda x: np.abs(np.diff(np.sign(x), axis=1)).mean(axis=1)
            return 1.0 / (1.0 + np.abs(zc(sources) - zc(targets)))
    """,
}


@pytest.fixture(scope="session")
def listening_results(tiny_dataset, tmp_path_factory) -> dict[str, Path]:
    """System name -> benchmark results JSON on ``tiny_dataset``."""
    from nlc.benchmark.results import save_results
    from nlc.benchmark.run import open_protocol, run_benchmark

    folder = tmp_path_factory.mktemp("listening_results")
    data = open_protocol(tiny_dataset)
    out = {}
    for name, body in MODELS.items():
        sub = folder / f"{name}.py"
        sub.write_text(textwrap.dedent(body))
        out[name] = save_results(run_benchmark(sub, data, n_resamples=20), folder / f"{name}.json")
    return out


@pytest.fixture(scope="session")
def listening_stimuli(tiny_dataset, listening_results, tmp_path_factory) -> Path:
    """A stimulus folder (both formats) made by ``listening-test make`` with the original."""
    from nlc.cli import main

    out = tmp_path_factory.mktemp("listening_stimuli") / "test"
    args = ["listening-test", "make", "--data", str(tiny_dataset), "--results",
            *map(str, listening_results.values()), "--include-original", "--out", str(out),
            "--seed", "1", "--format", "webmushra"]
    assert main(args) == 0
    return out
