"""Submission files of the baselines: the templates shipped in ``baselines/submissions/``.

A trained run folder is a complete submission: ``submission.py`` (a copy of the CNN or SNN
template) beside ``checkpoint.pt``. The templates load the checkpoint that sits next to
them, so ``nlc-bench run runs/NAME/submission.py`` works on the folder unchanged, and the
folder can be zipped and shared. AutoMashUpper and the random baseline need no
checkpoint: their templates are submissions as they are (:func:`template_path`).
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from nlc.atomic import write_text
from nlc.errors import InputError

from .models import DEFAULT_MARGIN

TEMPLATES: tuple[str, ...] = ("cnn", "snn", "automashupper", "random_baseline")
"""Names of the submission files in ``nlc.baselines.submissions`` (without ``.py``)."""
SUBMISSION_NAME: str = "submission.py"
CHECKPOINT_NAME: str = "checkpoint.pt"


def template_path(name: str) -> Path:
    """Path of the installed submission template ``name`` (one of :data:`TEMPLATES`)."""
    if name not in TEMPLATES:
        raise InputError(f"unknown baseline submission {name!r}; expected one of {TEMPLATES}")
    path = Path(str(resources.files("nlc.baselines").joinpath("submissions", f"{name}.py")))
    if not path.is_file():
        raise InputError(f"{path}: submission template missing from the installed package")
    return path


def snn_threshold(margin: float) -> float:
    """Score threshold of an SNN trained with ``margin``: distance ``margin / 2``, as a score."""
    return -float(margin) / 2.0


def write_submission(out_dir: str | os.PathLike[str], kind: str, *, margin: float = DEFAULT_MARGIN) -> Path:
    """Copy the ``kind`` (``cnn`` or ``snn``) template to ``out_dir/submission.py`` atomically.

    For an SNN trained with a margin other than the default, the ``THRESHOLD = ...`` line is
    set to ``-margin / 2``; nothing else in the template changes.
    """
    if kind not in ("cnn", "snn"):
        raise InputError(f"only trained models get a submission folder, not {kind!r}")
    text = template_path(kind).read_text()
    if kind == "snn":
        text, n = re.subn(r"^THRESHOLD = .*$", f"THRESHOLD = {snn_threshold(margin)!r}", text, count=1, flags=re.M)
        if n != 1:
            raise InputError(f"{template_path(kind)}: template has no THRESHOLD line")
    return write_text(Path(out_dir) / SUBMISSION_NAME, text)
