"""Turn a (source, target) loop pair into a test clip, the same way for every system.

Loudness is measured per ITU-R BS.1770-4 (K-weighted, gated integrated loudness, in LUFS,
with ``pyloudnorm``), not as RMS: RMS weighs a bass line as heavily as a hi-hat, so clips
levelled by RMS still differed by about 4 LU in perceived loudness on the demo build, and
participants tend to prefer the louder of two clips.

Two steps, both by loudness:

1. **Loops.** Each loop is brought to :data:`LOOP_LUFS` before the sum, so a system cannot
   win (or lose) by picking a louder or quieter target: the balance of the pair is fixed.
2. **Clips.** The pair is repeated 2 or 4 times (4 s or 8 s), given short raised-cosine
   fades at both ends (no click), and gained to the common target :data:`TARGET_LUFS`
   (-23 LUFS, EBU R 128).

Peaks: no limiter or clipper touches the audio (it would change the loudness and the timbre
of some clips only). Instead, the rule of :func:`level_clips`: if, at the target, any clip of
the test would have a true peak above :data:`TRUE_PEAK_DBTP` (-1 dBTP; true peak = largest
magnitude of the 4x oversampled signal, BS.1770-4 Annex 2), the *common* target of all clips
is lowered by the same amount, so every clip stays at one loudness and none clips, even
between samples. ``listening-test make`` records the lowered target in the manifest notes.

BS.1770 gates 400 ms blocks, so a loop or clip shorter than :data:`MIN_SECONDS` cannot be
measured (nlc-loops are 2 s); a loop or clip with no block above the absolute gate
(-70 LUFS) is silent. Both are an :class:`~nlc.errors.AudioError` of one line naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlc.errors import AudioError, InputError
from nlc.spec import SAMPLE_RATE

TARGET_LUFS: float = -23.0
"""Integrated loudness (LUFS, BS.1770-4) of every finished clip, unless lowered for all clips
of a test together to respect :data:`TRUE_PEAK_DBTP` (see :func:`level_clips`)."""
LOOP_LUFS: float = -23.0
"""Integrated loudness each loop is brought to before the two are summed (equal loudness)."""
TRUE_PEAK_DBTP: float = -1.0
"""Highest true peak of a clip (dB re full scale, 4x oversampled); EBU R 128's ceiling."""
OVERSAMPLING: int = 4
"""Oversampling factor of the true-peak measurement (BS.1770-4 Annex 2)."""
MIN_SECONDS: float = 0.4
"""Shortest measurable audio: one BS.1770 gating block."""
FADE_MS: float = 10.0
"""Length of the fade-in and fade-out, in milliseconds."""
REPETITIONS: tuple[int, ...] = (2, 4)
"""Allowed numbers of loop repetitions per clip."""


def rms_db(audio: np.ndarray) -> float:
    """RMS level of ``audio`` in dB re full scale (-inf for digital silence).

    Kept to compare with the loudness: clips are levelled by :func:`loudness_lufs`, not by RMS.
    """
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def loudness_lufs(audio: np.ndarray, *, sr: int = SAMPLE_RATE, name: str = "audio") -> float:
    """Integrated loudness of mono ``audio`` per ITU-R BS.1770-4, in LUFS.

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
        Mono samples, full scale = 1.
    sr : int, default 44100
        Sampling rate in Hz (the K-weighting filters depend on it).
    name : str, default "audio"
        What the audio is (``"clip g01_c2, target loop t_0042"``), for the error message.

    Returns
    -------
    float
        Gated integrated loudness, always finite.

    Raises
    ------
    AudioError
        Audio shorter than one 400 ms gating block, or silent (no block above the -70 LUFS
        absolute gate: its loudness is undefined, and no gain can bring it to a target).
    """
    import pyloudnorm

    samples = np.asarray(audio, dtype=np.float64)
    if samples.ndim != 1:
        raise AudioError(f"{name}: expected mono audio, got shape {samples.shape}")
    if samples.size < MIN_SECONDS * sr:
        raise AudioError(f"{name}: {samples.size / sr:.3f} s is shorter than the {MIN_SECONDS * 1000:.0f} ms "
                         "gating block of BS.1770, its loudness cannot be measured")
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{name}: holds NaN or infinite samples")
    lufs = float(pyloudnorm.Meter(sr).integrated_loudness(samples))
    if not np.isfinite(lufs):
        raise AudioError(f"{name} is silent (no 400 ms block above -70 LUFS), it cannot be loudness-matched")
    return lufs


def true_peak_dbtp(audio: np.ndarray) -> float:
    """True peak of ``audio`` in dBTP: largest magnitude after 4x oversampling (BS.1770-4 Annex 2).

    The sample peak misses the overs a DAC makes between samples (the RMS-levelled demo clips
    peaked at +0.26 dBTP while no sample reached full scale); -inf for digital silence.
    """
    from scipy.signal import resample_poly

    samples = np.asarray(audio, dtype=np.float64)
    peak = float(np.max(np.abs(resample_poly(samples, OVERSAMPLING, 1)))) if samples.size else 0.0
    peak = max(peak, float(np.max(np.abs(samples))) if samples.size else 0.0)
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")


def _apply_db(audio: np.ndarray, db: float) -> np.ndarray:
    return audio * 10.0 ** (db / 20.0)


def raw_mix(
    source: np.ndarray,
    target: np.ndarray,
    *,
    repetitions: int = 2,
    fade_ms: float = FADE_MS,
    sr: int = SAMPLE_RATE,
    name: str = "clip",
) -> np.ndarray:
    """The clip of a loop pair before its final gain: loops at equal loudness, repeated, faded.

    Parameters
    ----------
    source, target : np.ndarray, shape (n,)
        Mono loops of the same length (88,200 samples for nlc-loops).
    repetitions : {2, 4}, default 2
        How many times the loop pair plays (2 s each for nlc-loops).
    fade_ms : float, default 10.0
        Raised-cosine fade-in and fade-out, in milliseconds.
    sr : int, default 44100
        Sampling rate in Hz.
    name : str, default "clip"
        The clip's name, for error messages (``"clip g01_c2"``).

    Returns
    -------
    np.ndarray, shape (repetitions * n,), float64
        Not levelled: pass it to :func:`level_clips` with the other clips of the test.

    Raises
    ------
    AudioError
        A silent or too short loop, or loops of different lengths.
    InputError
        ``repetitions`` not in :data:`REPETITIONS`.
    """
    if repetitions not in REPETITIONS:
        raise InputError(f"repetitions must be one of {REPETITIONS}, not {repetitions}")
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 1:
        raise AudioError(f"{name}: loops must be mono and equally long, got shapes {source.shape} and {target.shape}")
    loops = [_apply_db(loop, LOOP_LUFS - loudness_lufs(loop, sr=sr, name=f"{name}, {role} loop"))
             for loop, role in ((source, "source"), (target, "target"))]
    clip = np.tile(loops[0] + loops[1], repetitions)
    n_fade = min(int(round(fade_ms * sr / 1000.0)), clip.size // 2)
    if n_fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_fade) / n_fade)
        clip[:n_fade] *= ramp
        clip[-n_fade:] *= ramp[::-1]
    return clip


@dataclass(frozen=True)
class Levelled:
    """Clips of one test at one loudness (what :func:`level_clips` returns)."""

    clips: list[np.ndarray]
    """float32, in the order given."""
    target_lufs: float
    """Loudness of every clip: :data:`TARGET_LUFS`, or lower when a peak required it."""
    lowered_db: float
    """How far the common target was lowered (0.0 when no clip's peak required it)."""
    culprit: str | None
    """Name of the clip whose true peak set the lowered target (None when not lowered)."""
    loudness_lufs: list[float]
    """Measured loudness of each clip before its gain."""


def level_clips(
    clips: Sequence[np.ndarray],
    *,
    names: Sequence[str] | None = None,
    sr: int = SAMPLE_RATE,
    target_lufs: float = TARGET_LUFS,
    true_peak_dbtp_max: float = TRUE_PEAK_DBTP,
) -> Levelled:
    """Gain every clip of a test to one integrated loudness, lowering it for all if a peak needs it.

    All clips of a test must play at one loudness, or the louder clips win; and no clip may
    clip. A per-clip limiter would change only some clips, so the rule is: each clip is gained
    to ``target_lufs``; if the highest true peak among them would exceed
    ``true_peak_dbtp_max``, every clip is lowered by that excess. The clips stay within a
    hundredth of an LU of each other (float32 rounding, fades measured in).

    Parameters
    ----------
    clips : sequence of np.ndarray, shape (n_i,)
        Mono clips (e.g. from :func:`raw_mix`), each at least 400 ms long.
    names : sequence of str, optional
        One name per clip, for error messages and :attr:`Levelled.culprit`
        (default ``clip 1``, ``clip 2``...).
    sr : int, default 44100
        Sampling rate in Hz.
    target_lufs : float, default -23.0
        Common loudness, in LUFS.
    true_peak_dbtp_max : float, default -1.0
        Highest allowed true peak, in dBTP.

    Returns
    -------
    Levelled
        The float32 clips, the loudness they share, and by how much (and for which clip)
        the target was lowered.

    Raises
    ------
    AudioError
        A clip that is silent or shorter than 400 ms (named).
    InputError
        No clip, or not one name per clip.
    """
    if not clips:
        raise InputError("no clip to level")
    labels = list(names) if names is not None else [f"clip {i + 1}" for i in range(len(clips))]
    if len(labels) != len(clips):
        raise InputError(f"{len(labels)} name(s) for {len(clips)} clip(s)")
    measured = [loudness_lufs(clip, sr=sr, name=label) for clip, label in zip(clips, labels, strict=True)]
    gained = [_apply_db(np.asarray(clip, dtype=np.float64), target_lufs - lufs)
              for clip, lufs in zip(clips, measured, strict=True)]
    peaks = [true_peak_dbtp(clip) for clip in gained]
    worst = int(np.argmax(peaks))
    lowered = max(0.0, peaks[worst] - true_peak_dbtp_max)
    out = [_apply_db(clip, -lowered).astype(np.float32) for clip in gained]
    return Levelled(clips=out, target_lufs=target_lufs - lowered, lowered_db=lowered,
                    culprit=labels[worst] if lowered > 0 else None, loudness_lufs=measured)


def mix_pair(
    source: np.ndarray,
    target: np.ndarray,
    *,
    repetitions: int = 2,
    fade_ms: float = FADE_MS,
    sr: int = SAMPLE_RATE,
    name: str = "clip",
) -> np.ndarray:
    """Loudness-matched mix of two equal-length loops, repeated and faded: a test of one clip.

    :func:`raw_mix` then :func:`level_clips` on this clip alone. ``listening-test make`` levels
    all clips of a test together instead, so that a peak lowers all of them alike.

    Parameters
    ----------
    source, target : np.ndarray, shape (n,)
        Mono loops of the same length (88,200 samples for nlc-loops).
    repetitions : {2, 4}, default 2
        How many times the loop pair plays (2 s each for nlc-loops).
    fade_ms : float, default 10.0
        Raised-cosine fade-in and fade-out, in milliseconds.
    sr : int, default 44100
        Sampling rate in Hz.
    name : str, default "clip"
        The clip's name, for error messages.

    Returns
    -------
    np.ndarray, shape (repetitions * n,), float32
        At :data:`TARGET_LUFS`, or lower if needed to keep the true peak at
        :data:`TRUE_PEAK_DBTP`.

    Raises
    ------
    AudioError
        A silent or too short loop, or loops of different lengths.
    InputError
        ``repetitions`` not in :data:`REPETITIONS`.
    """
    clip = raw_mix(source, target, repetitions=repetitions, fade_ms=fade_ms, sr=sr, name=name)
    return level_clips([clip], names=[name], sr=sr).clips[0]
