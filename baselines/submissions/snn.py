"""Siamese baseline (Neural Loop Combiner, section 4.2.3) as an nlc-bench submission.

``nlc-bench train --model snn`` copies this file to ``runs/NAME/submission.py`` beside the
trained ``checkpoint.pt``. ``embed`` maps each loop to a 16-d vector, so ranking costs one
forward pass per loop; ``score`` is minus the Euclidean distance of the two embeddings
(higher = closer = more compatible). ``THRESHOLD`` is minus half the contrastive margin:
training pulls compatible pairs to distance 0 and pushes others beyond the margin, so
the midpoint separates them (``nlc-bench train`` rewrites the line for a non-default
margin). Set ``NLC_DEVICE=cuda`` to score on a GPU.
"""

from pathlib import Path

import numpy as np

THRESHOLD = -1.0
CHECKPOINT = Path(__file__).with_name("checkpoint.pt")


def load_model():
    from nlc.baselines.inference import SNNScorer

    if not CHECKPOINT.is_file():
        raise FileNotFoundError(f"{CHECKPOINT} is missing: this is a template, train one with `nlc-bench train --model snn`")
    return SNNScorer(CHECKPOINT)


def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return model.score(sources, targets)


def embed(model, loops: np.ndarray) -> np.ndarray:
    return model.embed(loops)
