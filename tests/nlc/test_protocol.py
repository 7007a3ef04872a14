"""Loading submission files: every way a file can break gives one line naming the problem."""

import numpy as np
import pytest

from nlc.errors import SubmissionError
from nlc.protocol import load_submission

GOOD = """
import numpy as np
THRESHOLD = 0.25
def load_model():
    return {"gain": 2.0}
def score(model, sources, targets):
    return model["gain"] * np.ones(len(sources), dtype=np.float32)
"""


def test_good_submission_loads(tmp_path):
    path = tmp_path / "good.py"
    path.write_text(GOOD)
    sub = load_submission(path)
    assert sub.threshold == 0.25 and not sub.has_embed and sub.name == "good"
    out = sub.score(np.zeros((2, 88200), np.float32), np.zeros((2, 88200), np.float32))
    assert out.tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def load_model(): return 1\n", "missing required function score"),
        ("raise RuntimeError('boom')\n", "importing it raised RuntimeError: boom"),
        (GOOD.replace("return {", "raise ValueError('no weights'); return {"), "load_model\\(\\) raised ValueError"),
        (GOOD.replace("THRESHOLD = 0.25", "THRESHOLD = 'high'"), "THRESHOLD must be a finite number"),
    ],
    ids=["no-score", "import-error", "load-error", "bad-threshold"],
)
def test_broken_submissions(tmp_path, source, message):
    path = tmp_path / "broken.py"
    path.write_text(source)
    with pytest.raises(SubmissionError, match=message):
        load_submission(path)


def test_missing_file(tmp_path):
    with pytest.raises(SubmissionError, match="no such submission file"):
        load_submission(tmp_path / "nope.py")
