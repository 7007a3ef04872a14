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


SHORT_SYSTEMS = ("alpha", "original")
SHORT_LOOP_S = 0.5
"""Loop length of :func:`short_stimuli`: clips of 2 repetitions last 1 s, so a browser plays them to their end fast."""


@pytest.fixture(scope="session")
def short_stimuli(tmp_path_factory) -> Path:
    """A stimulus folder like ``listening-test make`` writes, from synthetic 0.5 s loops.

    Two groups of two 1 s clips (levelled by the stimuli code), the manifest, the page: what
    the browser tests need, without a dataset and with clips short enough to play to the end."""
    import numpy as np

    from nlc.audio import write_wav
    from nlc.listening_test.manifest import Clip, Group, Manifest, run_id_of, save_manifest
    from nlc.listening_test.stimuli import render_clips, write_questionnaire
    from nlc.spec import SAMPLE_RATE

    out = tmp_path_factory.mktemp("short_stimuli") / "test"
    t = np.arange(int(SHORT_LOOP_S * SAMPLE_RATE)) / SAMPLE_RATE
    groups, pairs = [], []
    for g, source_type in enumerate(("drum", "melody"), start=1):
        gid = f"g{g:02d}"
        source = 0.3 * np.sin(2 * np.pi * 110 * g * t)
        clips = []
        for k, system in enumerate(SHORT_SYSTEMS, start=1):
            target = (0.1 * k) * np.sin(2 * np.pi * (300 + 150 * k) * t)
            clips.append(Clip(clip=f"{gid}_c{k}", file=f"{gid}/{gid}_c{k}.wav", system=system,
                              target_id=f"synthetic/t{g}{k}"))
            pairs.append((f"clip {gid}_c{k}", source, target))
        groups.append(Group(group=gid, source_type=source_type, source_id=f"synthetic/s{g}", source_role=source_type,
                            clips=clips))
    levelled = render_clips(pairs, repetitions=2)
    for clip, audio in zip((c for g in groups for c in g.clips), levelled.clips, strict=True):
        write_wav(out / clip.file, audio, sr=SAMPLE_RATE)
    manifest = Manifest(seed=0, repetitions=2, sample_rate=SAMPLE_RATE, systems=list(SHORT_SYSTEMS), groups=groups,
                        dataset="synthetic")
    manifest = manifest.model_copy(update={"run_id": run_id_of(manifest)})
    save_manifest(manifest, out)
    write_questionnaire(manifest, out)
    return out
