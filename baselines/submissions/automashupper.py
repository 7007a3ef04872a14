"""AutoMashUpper (Davies et al. 2014), the rule-based baseline, as an nlc-bench submission.

No training: the score is the mashability ``H + 0.2 R + 0.2 L`` of harmonic (key-shift
invariant beat-synchronous chroma), rhythmic (sixteenth-note onset pattern) similarity and
the spectral balance of the mix (see :mod:`nlc.baselines.automashupper`). Features are
cached per distinct loop, so a loop met in many pairs is analysed once.
"""

import numpy as np

THRESHOLD = 1.1
"""Mashability lies in [0, 1.4]; on synthetic builds positive pairs score 1.03-1.29
(10th-90th percentile, mean 1.14), so 1.1 is a convention near their middle. AutoMashUpper
was designed to rank, not to classify: only its classification metrics depend on this."""


def load_model():
    from nlc.baselines.automashupper import AutoMashUpper

    return AutoMashUpper()


def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return model.score(sources, targets)
