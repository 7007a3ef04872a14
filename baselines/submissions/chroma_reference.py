"""Chroma reference: loops whose average pitch-class profiles agree are compatible.

The middle rung of the validity ladder (:mod:`nlc.benchmark.ladder`): no training, no key
search, no rhythm. Each loop becomes its mean chroma vector (librosa ``chroma_stft``,
unit length); a pair scores the cosine of the two, so two harmonic loops in one key score
high and a clash scores low. A harness in which this does not beat the random floor on a
keyed synthetic release is broken.
"""

import numpy as np

THRESHOLD = 0.75


def load_model():
    return None


def embed(model, loops: np.ndarray) -> np.ndarray:
    import librosa

    chroma = librosa.feature.chroma_stft(y=np.asarray(loops, dtype=np.float32), sr=44100, n_fft=4096,
                                         hop_length=2048, tuning=0.0).mean(axis=-1)
    chroma = chroma + 1e-6  # a silent loop has no pitch classes: it gets the flat profile
    return chroma / np.linalg.norm(chroma, axis=1, keepdims=True)  # unit length: score = 1 - distance^2 / 2


def score(model, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.sum(embed(model, sources) * embed(model, targets), axis=1)
