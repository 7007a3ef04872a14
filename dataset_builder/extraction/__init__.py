"""Loop extraction (paper section 3.2; Smith & Goto, ICASSP 2018).

A song becomes deduplicated 2-second loops, their layout over bars and the pairs of loops
that play together. One module per step: ``beats`` (1), ``tensor`` (2), ``decompose`` (3),
``separate`` (4), ``refine`` (5), ``pairs`` (6), ``stretch`` (7); ``pipeline`` chains them
and ``song`` writes a song folder atomically. ``evaluate`` scores extractions against
ground truth. See ``docs/extraction.md``.
"""

from nlc.dataset_builder.extraction.config import ExtractionConfig
from nlc.dataset_builder.extraction.song import extract_song

__all__ = ["ExtractionConfig", "extract_song"]
