"""The one feature spec of nlc-bench (paper section 4.2.1): what a loop is, in numbers.

Every loop is 2.0 s of 44,100 Hz mono audio (88,200 samples). Its model input is a
128-bin log-mel spectrogram from a 2,048-point Hamming-window STFT with hop 512, giving
173 frames x 128 bins. Every subsystem takes these constants from here so that the dataset,
the baselines and the benchmark can never disagree about what a loop is. This module
imports nothing, so a module that needs only the numbers does not pay for torch (which
:mod:`nlc.features` loads to compute the spectrogram).
"""

SAMPLE_RATE: int = 44_100
"""Sampling rate of every loop, in Hz."""
LOOP_SECONDS: float = 2.0
"""Duration of every loop, in seconds."""
LOOP_SAMPLES: int = 88_200
"""Samples per loop: ``SAMPLE_RATE * LOOP_SECONDS``."""
BEATS_PER_LOOP: int = 4
"""A loop is one 4/4 bar, so it holds four beats."""
BEAT_SAMPLES: int = LOOP_SAMPLES // BEATS_PER_LOOP
"""Samples per beat of a loop (22,050)."""
N_FFT: int = 2048
"""STFT window length in samples (Hamming window)."""
HOP_LENGTH: int = 512
"""STFT hop in samples."""
N_MELS: int = 128
"""Mel bands (librosa's Slaney-normalised filter bank, 0 Hz to Nyquist)."""
N_FRAMES: int = 1 + LOOP_SAMPLES // HOP_LENGTH
"""Frames per loop with a centred STFT: 173."""
AMIN: float = 1e-10
"""Floor applied to mel power before the log, so silence maps to -100 dB, not -inf."""

FEATURE_SHAPE: tuple[int, int] = (N_FRAMES, N_MELS)
