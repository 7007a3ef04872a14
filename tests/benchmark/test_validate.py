import textwrap
from pathlib import Path
import pytest

from nlc.benchmark.validate import generated_loops, validate_submission
from nlc.errors import SubmissionError


GOOD = """
import numpy as np
THRESHOLD = 0.1
def load_model():
    return 2.0
def score(model, sources, targets):
    return np.abs(sources * targets).mean(axis=1) * model
"""


def write(tmp_path, body, name="sub.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_good_pair_model_and_torch_output_pass(tmp_path):
    assert not validate_submission(write(tmp_path, GOOD)).has_embed
    torch_sub = GOOD.replace("return np.abs", "import torch\n    return torch.from_numpy(np.abs") + ")"
    torch_sub = torch_sub.replace("* model)", "* model).float()")
    assert validate_submission(write(tmp_path, torch_sub, "t.py")).threshold == 0.1


def test_generated_loops_are_float32_loops():
    names, audio = generated_loops()
    assert audio.shape == (len(names), 88200) and audio.dtype.name == "float32"
    assert "silence" in names and abs(audio).max() <= 1.0


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda s: s.replace("def score", "def scored"), r"missing required function score\(\)"),
        (lambda s: s.replace("THRESHOLD = 0.1", "THRESHOLD = 'high'"), "THRESHOLD must be a finite number"),
        (lambda s: s.replace("return 2.0", "raise OSError('weights.pt missing')"), "load_model.*OSError: weights.pt missing"),
        (lambda s: s.replace("import numpy", "import numpyy"), "importing it raised ModuleNotFoundError"),
        (lambda s: s.replace(".mean(axis=1)", ".mean(axis=1, keepdims=True)"), r"shape \(8, 1\) for 8 pairs, expected \(8,\)"),
        (lambda s: s.replace("* model", "/ (sources.std(axis=1) * 0)"), "NaN or infinite"),
        (lambda s: s.replace("return np.abs(sources * targets).mean(axis=1) * model", "return [0.5] * len(sources)"), "returned list"),
        (lambda s: s.replace("* model", "> 0"), "dtype bool"),
        (lambda s: s.replace("* model", "* np.random.rand()"), "not deterministic|depends on the batch"),
        (lambda s: s.replace("* model", "/ (1 + np.abs(sources * targets).mean())"), "depends on the batch"),
        (lambda s: s.replace("return np.abs", "raise RuntimeError('CUDA out of memory')\n    return np.abs"), "score.*RuntimeError: CUDA out of memory"),
    ],
)
def test_broken_submissions_fail_with_one_line(tmp_path, edit, match):
    with pytest.raises(SubmissionError, match=match) as info:
        validate_submission(write(tmp_path, edit(GOOD)))
    assert "\n" not in str(info.value)


EMBED = GOOD + """
def embed(model, loops):
    return np.stack([loops.mean(axis=1), np.abs(loops).mean(axis=1)], axis=1)
"""


def test_embedding_checks(tmp_path):
    ok = EMBED.replace("return np.abs(sources * targets).mean(axis=1) * model",
                       "return -np.linalg.norm(embed(model, sources) - embed(model, targets), axis=1)")
    assert validate_submission(write(tmp_path, ok, "ok.py")).embed_dim == 2
    with pytest.raises(SubmissionError, match="score.. disagrees with embed"):
        validate_submission(write(tmp_path, ok.replace("return -np.linalg", "return np.linalg"), "rev.py"))
    with pytest.raises(SubmissionError, match=r"embed\(\) .*returned shape"):
        validate_submission(write(tmp_path, EMBED.replace("axis=1)], axis=1)", "axis=1)], axis=1).ravel()"), "flat.py"))
    with pytest.raises(SubmissionError, match="dim"):
        varying = EMBED.replace("np.abs(loops).mean(axis=1)], axis=1)", "np.abs(loops).mean(axis=1)][:1 + (len(loops) > 4)], axis=1)")
        validate_submission(write(tmp_path, varying, "dim.py"))


def test_docs_show_the_shipped_example_verbatim():
    root = Path(__file__).parents[2]
    example = (root / "examples" / "my_model.py").read_text().strip()
    assert example in (root / "docs" / "benchmark.md").read_text()
