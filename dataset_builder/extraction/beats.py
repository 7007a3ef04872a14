"""Step 1: tempo, beats and downbeats of a 4/4 song.

The beat is a rigid grid fitted to a mel onset envelope (see ``tempo.py``: comb of the
onset autocorrelation, metrical level by a tempo prior, precise period and phase; half-beat
shift chosen by bar-line salience x kick onset x onset strength on the beats).
A song is only usable if its beat is *stable*: pulse clarity (onset autocorrelation at the
beat period) above ``min_pulse_clarity``, tempo inside ``[min_bpm, max_bpm]``, a spectral
flux above ``min_onset_db`` and a grid that does not drift (``max_beat_cv`` of a beat);
otherwise :class:`~nlc.errors.ExtractionError` says which test failed. The bar phase
(which of every four beats is the downbeat) is not taken on faith from beat 0: each of the
four phases is scored by (a) the low-band (kick) onset strength on its beats, (b) how
much the sound changes, from one bar to the next, right at its beats (in loop music, loops
enter and leave at bar lines) and (c) how much the harmony (chroma) changes from the previous
beat (chords and bass notes change on bar lines), and the best phase wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlc.dataset_builder.extraction.tempo import fit_grid
from nlc.errors import ExtractionError

LOW_BAND_HZ: float = 200.0
"""Upper edge of the kick band used to score downbeat phases, in Hz."""
ONSET_DELAY_FRAMES: float = 1.0
"""How late the grid fitted to librosa's onset envelope sits, in frames; subtracted from every time.

librosa shifts the spectral flux by ``lag + n_fft // (2 * hop)`` = 3 frames to undo framing
effects, but on centred 2048-sample frames the flux of a sharp onset peaks about one frame
before it, so the shifted envelope peaks one frame (11.6 ms) *after* it. Measured with
``bench/beat_accuracy.py`` before the correction: median grid offset +13.4 ms on 37
synthetic songs, +18.9 ms on the lmms songs with the right bar grid.
"""


@dataclass(frozen=True)
class BeatGrid:
    """Tempo (BPM), beat and downbeat times (s), and how stable the beat is."""

    tempo: float
    beats: np.ndarray
    downbeats: np.ndarray
    phase: int
    beat_cv: float
    pulse_clarity: float


def _share(x: np.ndarray) -> np.ndarray:
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    total = x.sum()
    return x / total if total > 0 else np.full(x.shape, 1.0 / x.size)


def beat_sync(features: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """Mean of ``features`` (n, frames) over every beat interval, shape (n, n_beats).

    Interval ``i`` runs from beat ``i`` to the next (the last one to the end). librosa pads
    the boundaries with frame 0, so the span before the first beat is dropped, unless the
    first beat *is* frame 0.
    """
    import librosa

    # librosa annotates idx as a Sequence, but takes (and its own examples pass) an index array
    return librosa.util.sync(features, beat_frames, aggregate=np.mean)[:, -beat_frames.size:]  # type: ignore[arg-type]


def _bar_change_rise(beat_frames: np.ndarray, mel_db: np.ndarray, beats_per_bar: int) -> np.ndarray:
    """Per beat, how much more the spectrum differs from one bar earlier than at the previous beat."""
    n = beat_frames.size
    sync = beat_sync(mel_db, beat_frames)
    lag = beats_per_bar
    change = np.zeros(n)
    if n > lag:
        change[lag:] = np.linalg.norm(sync[:, lag:] - sync[:, :-lag], axis=0)
    rise = np.zeros(n)
    rise[1:] = np.maximum(np.diff(change), 0.0)
    return rise


def bar_line_salience(beat_frames: np.ndarray, mel_db: np.ndarray, *, beats_per_bar: int = 4) -> float:
    """How sharply bar-to-bar changes concentrate on one beat phase (max phase mean / mean).

    Loops enter and leave on bar lines, so on a grid of real beats the changes pile up on
    one phase; on a grid shifted by half a beat they smear over two.
    """
    rise = _bar_change_rise(beat_frames, mel_db, beats_per_bar)
    mean = rise.mean()
    return float(max(rise[p::beats_per_bar].mean() for p in range(beats_per_bar)) / mean) if mean > 0 else 0.0


def chroma_change(beat_frames: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Per beat, ``1 -`` cosine similarity of its mean chroma with the previous beat's (0 for the first)."""
    sync = beat_sync(chroma, beat_frames)
    sync = sync / (np.linalg.norm(sync, axis=0, keepdims=True) + 1e-9)
    change = np.zeros(beat_frames.size)
    change[1:] = 1.0 - np.sum(sync[:, 1:] * sync[:, :-1], axis=0)
    return change


def downbeat_phase(beat_frames: np.ndarray, mel_db: np.ndarray, accent: np.ndarray, *,
                   chroma: np.ndarray | None = None, beats_per_bar: int = 4) -> int:
    """Index (0..beats_per_bar-1) of the first downbeat among ``beat_frames``.

    Scores each phase by its share of ``accent`` (one value per beat: the kick-band onset
    strength for the onset grid, the network's downbeat activation for the RNN) plus its
    share of the bar-to-bar change in the beat-synchronous mel spectrum (see the module
    docstring), plus, given ``chroma`` (12, frames), its share of the harmonic change from
    the previous beat: chords and bass notes change on bar lines, the cue that still works
    when a kick plays on every beat (on the lmms songs it put the bar right in 7 of 14 songs
    instead of 4).
    """
    def by_phase(values: np.ndarray) -> np.ndarray:
        return np.array([values[p::beats_per_bar].mean() if values[p::beats_per_bar].size else 0.0
                         for p in range(beats_per_bar)])

    score = _share(by_phase(np.asarray(accent, dtype=np.float64))) + _share(by_phase(_bar_change_rise(beat_frames, mel_db, beats_per_bar)))
    if chroma is not None:
        score = score + _share(by_phase(chroma_change(beat_frames, chroma)))
    return int(np.argmax(score))


def closing_downbeat(down: np.ndarray, *, bar_seconds: float, duration: float) -> np.ndarray:
    """Downbeats with a closing one a bar after the last when the song lasts that long.

    Bar ``i`` runs from ``down[i]`` to ``down[i + 1]``: without the closing downbeat the last
    (whole) bar would be lost; a partial last bar is dropped. Raises ExtractionError when not
    one whole bar remains.
    """
    if down.size and down[-1] + bar_seconds <= duration:
        down = np.append(down, down[-1] + bar_seconds)
    if down.size < 2:
        raise ExtractionError("no stable beat: not one whole bar")
    return down


def check_rhythm(mel_db: np.ndarray, *, sr: int, hop_length: int, min_onset_db: float) -> np.ndarray:
    """The onset envelope of a mel spectrogram in dB; raises ExtractionError when its mean is
    below ``min_onset_db`` (dB per band and frame): a drone or a pad has nothing to track."""
    import librosa

    env = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=hop_length)
    if float(env.mean()) < min_onset_db:
        raise ExtractionError(f"no stable beat: mean onset strength {env.mean():.2f} dB below {min_onset_db:g} dB "
                              "(no rhythm to follow)")
    return env


def track_beats(
    mel_db: np.ndarray,
    *,
    chroma: np.ndarray | None = None,
    sr: int,
    hop_length: int,
    duration: float,
    min_bpm: float = 60.0,
    max_bpm: float = 200.0,
    max_beat_cv: float = 0.08,
    min_pulse_clarity: float = 0.1,
    min_onset_db: float = 0.3,
    beats_per_bar: int = 4,
) -> BeatGrid:
    """Track beats and downbeats from a mel spectrogram in dB, shape (n_mels, frames).

    ``chroma`` (12, frames) of the same frames, if given, adds the harmonic-change cue to the
    choice of the bar phase (:func:`downbeat_phase`). ``duration`` is the song's length in seconds; ``min_onset_db`` the smallest mean
    spectral flux (dB per mel band and frame) of a song with a rhythm (drones sit near 0).
    Bar ``i`` runs from ``downbeats[i]`` to ``downbeats[i + 1]``, so ``len(downbeats) - 1``
    is the number of whole bars. Raises ExtractionError (no stable beat).
    """
    import librosa

    env = check_rhythm(mel_db, sr=sr, hop_length=hop_length, min_onset_db=min_onset_db)
    freqs = librosa.mel_frequencies(n_mels=mel_db.shape[0] + 2, fmax=sr / 2)[1:-1]
    n_low = max(2, int(np.searchsorted(freqs, LOW_BAND_HZ)))
    low_env = librosa.onset.onset_strength(S=mel_db[:n_low], sr=sr, hop_length=hop_length)
    fps = sr / hop_length
    period, offset, clarity, cv = fit_grid(env, low_env, fps=fps, min_bpm=min_bpm, max_bpm=max_bpm)
    tempo = 60.0 * fps / period

    def grid(start: float) -> np.ndarray:
        return np.round(start + period * np.arange(int((env.size - 1 - start) // period) + 1)).astype(np.int64)

    # the grid may sit on the off-beats (hi-hats, snares): of the two half-beat shifts keep the
    # one with the larger product of bar-line salience, kick-band and full-band onset on its beats
    def on_beat(start: float) -> float:
        g = grid(start)
        return (bar_line_salience(g, mel_db, beats_per_bar=beats_per_bar) * float(low_env[g].mean())
                * float(env[g].mean()))

    shifted = (offset + period / 2.0) % period
    if on_beat(shifted) > on_beat(offset):
        offset = shifted
    beat_frames = grid(offset)
    if clarity < min_pulse_clarity:
        raise ExtractionError(f"no stable beat: pulse clarity {clarity:.2f} below {min_pulse_clarity:g}")
    if not min_bpm <= tempo <= max_bpm:
        raise ExtractionError(f"no stable beat: tempo {tempo:.1f} BPM outside [{min_bpm:g}, {max_bpm:g}]")
    if cv > max_beat_cv:
        raise ExtractionError(f"no stable beat: the beat drifts by {cv:.2f} of a beat (max {max_beat_cv:g})")
    if beat_frames.size < 2 * beats_per_bar:
        raise ExtractionError(f"no stable beat: only {beat_frames.size} beats")
    phase = downbeat_phase(beat_frames, mel_db, low_env[np.minimum(beat_frames, low_env.size - 1)], chroma=chroma,
                           beats_per_bar=beats_per_bar)
    beat_times = np.maximum((offset - ONSET_DELAY_FRAMES + period * np.arange(beat_frames.size)) / fps, 0.0)
    down = closing_downbeat(beat_times[phase::beats_per_bar], bar_seconds=beats_per_bar * period / fps,
                            duration=duration)
    return BeatGrid(tempo=tempo, beats=beat_times, downbeats=down, phase=phase, beat_cv=cv, pulse_clarity=clarity)
