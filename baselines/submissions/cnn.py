"""CNN baseline (Neural Loop Combiner, section 4.2.2) as an nlc-bench submission.

``nlc-bench train --model cnn`` copies this file to ``runs/NAME/submission.py`` beside the
trained ``checkpoint.pt``; ``nlc-bench run runs/NAME/submission.py`` then scores it. The
score is the network's sigmoid output, the probability that the pair is compatible,
computed on the log-mel of the two loops mixed at half gain each (mixed in the STFT domain
with a per-loop STFT cache). Set ``NLC_DEVICE=cuda`` to score on a GPU.
"""

from pathlib import Path

import numpy as np

THRESHOLD = 0.5
"""A pair is called compatible when P(compatible) >= 0.5."""
CHECKPOINT = Path(__file__).with_name("checkpoint.pt")


def load_model():
    from nlc.baselines.inference import CNNScorer

    if not CHECKPOINT.is_file():
        raise FileNotFoundError(f"{CHECKPOINT} is missing: this is a template, train one with `nlc-bench train --model cnn`")
    return CNNScorer(CHECKPOINT)


def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return model.score(sources, targets)
