"""A complete nlc-bench submission: loops whose average spectra are alike are compatible."""
import numpy as np
from nlc.features import log_mel_batch

THRESHOLD = 0.75  # score >= THRESHOLD means "compatible" in the classification task


def load_model():
    return None  # nothing to train or load: a fixed spectral-similarity model


def embed(model, loops):  # (batch, 88200) float32 -> (batch, 128); ranking uses Euclidean distance
    spectrum = log_mel_batch(loops).mean(axis=1)  # mean log-mel spectrum, dB
    spectrum -= spectrum.mean(axis=1, keepdims=True)  # ignore loudness
    return spectrum / (np.linalg.norm(spectrum, axis=1, keepdims=True) + 1e-9)


def score(model, sources, targets):  # (batch,) in [0, 1], higher = more compatible
    return 1.0 - np.linalg.norm(embed(model, sources) - embed(model, targets), axis=1) / 2.0
