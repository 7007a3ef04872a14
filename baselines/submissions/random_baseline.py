"""Random baseline: a uniform score per pair, seeded by the pair's samples (the metrics' floor).

Deterministic: the same pair always gets the same score, in any batch and on any rerun
(see :mod:`nlc.baselines.random_baseline`).
"""

import numpy as np

THRESHOLD = 0.5


def load_model():
    from nlc.baselines.random_baseline import DEFAULT_SEED

    return {"seed": DEFAULT_SEED}


def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    from nlc.baselines.random_baseline import random_scores

    return random_scores(sources, targets, seed=model["seed"])
