"""AutoMashUpper (Davies et al. 2014), the rule-based baseline, as an nlc-bench submission.

No training: the score is the mashability ``H + 0.2 R + 0.2 L`` of harmonic (beat-synchronous
chroma, compared as played: nlc-bench never transposes a loop, so no key shift is searched),
rhythmic (sixteenth-note onset pattern) similarity and the spectral balance of the mix (see
:mod:`nlc.baselines.automashupper`, which documents each term's source). Features are cached
per distinct loop, so a loop met in many pairs is analysed once.
"""

import numpy as np

THRESHOLD = 1.1
"""Mashability lies in [0, 1.4]. On the training pairs of the 120-song synthetic demo build
(``nlc-bench corpus synth --songs 120 --seed 0``, then ``dataset build --seed 0``), positive
pairs score 0.87-1.27 (10th-90th percentile, median 1.12), so 1.1 is a convention near their
middle, not a fit to any test item. AutoMashUpper was designed to rank, not to classify: only
its classification accuracy and F1 depend on this."""


def load_model():
    from nlc.baselines.automashupper import AutoMashUpper

    return AutoMashUpper()


def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return model.score(sources, targets)
