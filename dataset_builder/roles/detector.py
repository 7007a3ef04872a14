"""Instrumentation roles of loops: the drum/bass detector behind "selected" negatives.

The paper's "selected" negative sampling (section 4.1.1) avoids pure-drum and pure-bass
loops, because they "tend to be compatible with any loops"; it detects them with a source
separation model. :func:`classify_roles` gives each loop one of :data:`ROLES` through one of
three backends:

``"default"`` (offline, no downloaded weights)
    A logistic regression (:mod:`nlc.dataset_builder.roles.model`) on all
    :data:`FEATURES`: the four below plus timbre, register, polyphony and pitch features
    (``docs/negatives.md``); weights fitted on the labelled lmms samples, 0.932 accuracy
    held out (leave-one-out) against 0.885 for the rules.

``"rules"``
    Four signal features and a three-rule decision:

    * *pitch steadiness*: energy share of frames whose YIN pitch stays within 0.3
      semitone of the next frame's. Drums are noise or fast pitch sweeps (kicks, toms);
      basses and instruments hold notes.
    * *percussive share*: energy share of the percussive part of a harmonic/percussive
      separation (median filtering, librosa's HPSS, on the mel spectrogram).
    * *periodicity*: energy-weighted peak of the normalised autocorrelation at periods
      of 30 Hz to 1 kHz; noise-like sounds (shakers, rims) have none.
    * *low share*: share of energy below :data:`LOW_HZ` (150 Hz).

    Rules, in order: **drum** if steadiness < 0.68, or percussive share > 0.5, or
    periodicity < 0.35; **bass** if low share >= 0.10 and percussive share >= 0.06 (low
    *and* articulated: sustained low pads have almost no percussive energy); else
    **other**. A silent loop is ``"other"``.

``"spleeter"`` (optional)
    Deezer's 4-stem separation, run in its own Python environment (see
    :mod:`nlc.dataset_builder.roles.spleeter`).

Both backends' accuracy on the labelled lmms samples is printed by
``bench/instrumentation_accuracy.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlc.errors import InputError
from nlc.loops.layout import ROLES
from nlc.spec import SAMPLE_RATE

"""Instrumentation roles; ``selected`` negatives only use ``"other"`` loops."""
BACKENDS: tuple[str, ...] = ("default", "rules", "spleeter")
RULE_FEATURES: tuple[str, ...] = ("steadiness", "percussive_share", "periodicity", "low_share")
"""The first columns of :func:`role_features`, the ones :class:`RoleThresholds` reads."""
FEATURES: tuple[str, ...] = RULE_FEATURES + (
    "log2_centroid", "flatness", "log2_rolloff", "share_100", "share_200", "share_300", "share_500",
    "log2_lowest_peak", "flux_mean_to_max", "log_crest", "chroma_peak", "chroma_entropy", "rise_rate",
    *(f"contrast_{band}" for band in range(7)), "log2_median_f0")
"""Columns of :func:`role_features` (log2 values are of Hz)."""
LOW_HZ: float = 150.0
"""Upper edge, in Hz, of the band whose energy share marks bass."""
_PITCH_SR = 22_050  # pitch analysis needs no more than 11 kHz of bandwidth
_FRAME, _HOP = 2048, 512
_F0_MIN, _F0_MAX = 30.0, 1000.0
_STEADY_SEMITONES = 0.3
_SILENT_RMS = 1e-5
_HPSS_MAX_HZ = 5000.0
_BAND_EDGES_HZ = (100.0, 200.0, 300.0, 500.0)


@dataclass(frozen=True)
class RoleThresholds:
    """Thresholds of the default backend's rules (see the module docstring)."""

    steadiness: float = 0.68
    """Below this pitch steadiness a loop is a drum loop."""
    percussive: float = 0.5
    """Above this percussive energy share a loop is a drum loop."""
    periodicity: float = 0.35
    """Below this periodicity a loop is a drum loop (noise-like)."""
    low_share: float = 0.10
    """From this share of energy below LOW_HZ (and ``bass_percussive``) a loop is bass."""
    bass_percussive: float = 0.06
    """Minimum percussive share of a bass loop (attacks), which sustained low pads lack."""


def _validate(loops: np.ndarray, sr: int) -> np.ndarray:
    loops = np.asarray(loops)
    if loops.ndim == 1:
        loops = loops[None, :]
    if loops.ndim != 2 or loops.shape[1] == 0:
        raise InputError(f"loops must have shape (n_loops, n_samples) or (n_samples,), got {np.shape(loops)}")
    if not np.issubdtype(loops.dtype, np.floating):
        raise InputError(f"loops must be float audio in [-1, 1], got dtype {loops.dtype}")
    if not np.all(np.isfinite(loops)):
        bad = int(np.flatnonzero(~np.isfinite(loops).all(axis=1))[0])
        raise InputError(f"loop {bad} contains NaN or infinite samples")
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise InputError(f"sr must be a positive integer (Hz), got {sr!r}")
    return loops.astype(np.float32, copy=False)


def _spectral_features(magnitude: np.ndarray, freqs: np.ndarray) -> list[float]:
    """Timbre and register features of one loop's magnitude spectrogram (see FEATURES)."""
    import librosa

    power = magnitude ** 2
    frame_energy = power.sum(axis=0)
    w = frame_energy / max(float(frame_energy.sum()), 1e-20)
    centroid = (freqs[:, None] * power).sum(axis=0) / np.maximum(frame_energy, 1e-20)
    flatness = librosa.feature.spectral_flatness(S=magnitude)[0]
    rolloff = librosa.feature.spectral_rolloff(S=magnitude, sr=SAMPLE_RATE, n_fft=_FRAME, roll_percent=0.85)[0]
    total = max(float(frame_energy.sum()), 1e-20)
    shares = [float(power[freqs < edge].sum()) / total for edge in _BAND_EDGES_HZ]
    ltas_db = 10 * np.log10(power.sum(axis=1) / max(float(power.sum(axis=1).max()), 1e-20) + 1e-12)
    mid = ltas_db[1:-1]
    peaks = np.flatnonzero((mid > ltas_db[:-2]) & (mid >= ltas_db[2:]) & (mid > -20.0)) + 1
    lowest_peak = float(np.log2(max(freqs[peaks[0]], 20.0))) if peaks.size else float(np.log2(SAMPLE_RATE / 2))
    log_power = np.log(power + 1e-10)
    flux = np.maximum(np.diff(log_power, axis=1), 0).mean(axis=0)
    envelope = np.sqrt(frame_energy)
    chroma = librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, n_fft=_FRAME, norm=None, tuning=0.0)
    chroma = chroma / np.maximum(chroma.sum(axis=0, keepdims=True), 1e-20)
    entropy = -(chroma * np.log(chroma + 1e-12)).sum(axis=0)
    frame_db = 10 * np.log10(frame_energy + 1e-12)
    contrast = librosa.feature.spectral_contrast(S=magnitude, sr=SAMPLE_RATE, n_fft=_FRAME) @ w
    return [float(np.log2(np.maximum(centroid, 20.0)) @ w), float(flatness @ w), float(np.log2(np.maximum(rolloff, 20.0)) @ w),
            *shares, lowest_peak, float(flux.mean() / max(float(flux.max()), 1e-20)),
            float(np.log(envelope.max() / max(float(envelope.mean()), 1e-20))),
            float(chroma.max(axis=0) @ w), float(entropy @ w), float(np.mean(np.diff(frame_db) > 6.0)), *contrast]


def _median_rows(S: np.ndarray, size: int) -> np.ndarray:
    """``scipy.ndimage.median_filter(S, size=(1, size), mode="reflect")`` of a 2-D array, bit for bit.

    A median is one of the window's own values, so a plain selection over the same windows
    (numpy's ``"symmetric"`` padding is ndimage's ``"reflect"``) gives exactly ndimage's
    output, at a third of the CPU: ndimage's generic N-D rank filter (the path it takes for
    2-D input) spent 28 ms per loop spectrogram, a quarter of a build's per-song CPU.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    half = size // 2
    windows = sliding_window_view(np.pad(S, ((0, 0), (half, half)), mode="symmetric"), size, axis=-1)
    return np.partition(windows, half, axis=-1)[..., half]


def _hpss(S: np.ndarray, *, kernel_size: int = 31, margin: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``librosa.decompose.hpss(S, kernel_size=kernel_size, margin=margin)`` of a real 2-D
    spectrogram, bit for bit, with its two median filters done by :func:`_median_rows`
    (the rest is librosa's code: same soft masks, same products)."""
    import librosa

    harm = _median_rows(S, kernel_size)  # along time (librosa's harm_shape (1, k))
    perc = _median_rows(np.ascontiguousarray(S.T), kernel_size).T  # along frequency ((k, 1))
    split_zeros = margin == 1
    mask_harm = librosa.util.softmask(harm, perc * margin, power=2.0, split_zeros=split_zeros)
    mask_perc = librosa.util.softmask(perc, harm * margin, power=2.0, split_zeros=split_zeros)
    return S * mask_harm, S * mask_perc  # librosa multiplies by the phase, 1 for a real S


def _loop_features(y: np.ndarray) -> np.ndarray:
    import librosa

    magnitude = np.abs(librosa.stft(y, n_fft=_FRAME, hop_length=_HOP))
    power = magnitude ** 2
    freqs = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=_FRAME)
    total = float(power.sum())
    low_share = float(power[freqs < LOW_HZ].sum()) / total
    # HPSS on the linear spectrum below 5 kHz: the bins that hold notes and drum bodies,
    # at a quarter of the cost of the full spectrum (mel bands blur low partials together).
    harmonic, percussive = _hpss(power[freqs < _HPSS_MAX_HZ], margin=1.0)  # = librosa.decompose.hpss
    percussive_share = float(percussive.sum() / max(float(harmonic.sum() + percussive.sum()), 1e-20))

    z = librosa.resample(y, orig_sr=SAMPLE_RATE, target_sr=_PITCH_SR, res_type="soxr_hq")
    frames = librosa.util.frame(np.pad(z, _FRAME // 2), frame_length=_FRAME, hop_length=_HOP).T
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = (frames ** 2).sum(axis=1)
    weights = energy / max(float(energy.sum()), 1e-20)
    spectrum = np.fft.rfft(frames * np.hanning(_FRAME), n=2 * _FRAME, axis=1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :_FRAME]
    autocorr /= np.maximum(autocorr[:, :1], 1e-20)
    lags = slice(int(_PITCH_SR / _F0_MAX), int(_PITCH_SR / _F0_MIN))
    periodicity = float((autocorr[:, lags].max(axis=1) * weights).sum())

    f0 = librosa.yin(z, fmin=_F0_MIN, fmax=_F0_MAX, sr=_PITCH_SR, frame_length=_FRAME, hop_length=_HOP)
    n = min(f0.size, weights.size)
    semitones = 12.0 * np.log2(f0[:n])
    steady = np.r_[np.abs(np.diff(semitones)) < _STEADY_SEMITONES, False]
    steadiness = float((weights[:n] * steady).sum() / max(float(weights[:n].sum()), 1e-20))
    order = np.argsort(f0[:n])
    cumulative = np.cumsum(weights[:n][order])
    median_f0 = float(np.log2(f0[:n][order][min(np.searchsorted(cumulative, cumulative[-1] / 2), n - 1)]))
    return np.array([steadiness, percussive_share, periodicity, low_share,
                     *_spectral_features(magnitude, freqs), median_f0])


def role_features(loops: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The default backend's features of each loop.

    Parameters
    ----------
    loops : np.ndarray, shape (n_loops, n_samples) or (n_samples,)
        Mono float audio; loops of the dataset are 2 s at 44.1 kHz.
    sr : int, default 44100
        Sampling rate of ``loops`` in Hz; other rates are resampled to 44.1 kHz.

    Returns
    -------
    np.ndarray, shape (n_loops, len(FEATURES))
        Columns :data:`FEATURES`; a row of NaN for a silent loop.
    """
    loops = _validate(loops, sr)
    if sr != SAMPLE_RATE:
        import librosa

        loops = librosa.resample(loops, orig_sr=sr, target_sr=SAMPLE_RATE, res_type="soxr_hq", axis=-1)
    out = np.full((loops.shape[0], len(FEATURES)), np.nan)
    for i, y in enumerate(loops):
        if float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) > _SILENT_RMS:
            out[i] = _loop_features(np.ascontiguousarray(y, dtype=np.float32))
    return out


def roles_from_features(features: np.ndarray, *, thresholds: RoleThresholds = RoleThresholds()) -> list[str]:
    """Apply the default backend's rules to :func:`role_features` output (NaN row: ``"other"``)."""
    features = np.atleast_2d(np.asarray(features, dtype=float))
    if features.shape[1] < len(RULE_FEATURES):
        raise InputError(f"expected features with columns {RULE_FEATURES}, got shape {features.shape}")
    roles = []
    t = thresholds
    for steadiness, percussive, periodicity, low in features[:, :len(RULE_FEATURES)]:
        if np.isnan(steadiness):
            roles.append("other")
        elif steadiness < t.steadiness or percussive > t.percussive or periodicity < t.periodicity:
            roles.append("drum")
        elif low >= t.low_share and percussive >= t.bass_percussive:
            roles.append("bass")
        else:
            roles.append("other")
    return roles


def classify_roles(loops: np.ndarray, *, sr: int = SAMPLE_RATE, backend: str = "default",
                   thresholds: RoleThresholds = RoleThresholds()) -> list[str]:
    """Instrumentation role of each loop: ``"drum"``, ``"bass"`` or ``"other"``.

    Parameters
    ----------
    loops : np.ndarray, shape (n_loops, n_samples) or (n_samples,)
        Mono float audio in [-1, 1].
    sr : int, default 44100
        Sampling rate in Hz.
    backend : {"default", "rules", "spleeter"}
        ``"default"``: offline classifier on :data:`FEATURES`; ``"rules"``: the hand
        rules on four features (module docstring); ``"spleeter"``: 4-stem
        separation in an external environment, an :class:`~nlc.errors.NLCError` saying
        why when it is not available.
    thresholds : RoleThresholds
        Thresholds of the ``"rules"`` backend (ignored by the others).

    Returns
    -------
    list of str, one per loop, each in :data:`ROLES`
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown instrumentation backend {backend!r}; expected one of {BACKENDS}")
    if backend == "spleeter":
        from nlc.dataset_builder.roles.spleeter import classify_roles_spleeter

        return classify_roles_spleeter(_validate(loops, sr), sr=sr)
    features = role_features(loops, sr=sr)
    if backend == "rules":
        return roles_from_features(features, thresholds=thresholds)
    from nlc.dataset_builder.roles.model import load_default_model

    return load_default_model().predict(features)
