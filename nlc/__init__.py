"""nlc-bench: dataset and benchmark toolkit for music loop compatibility.

`nlc` holds only what several subsystems share: audio I/O (:mod:`nlc.audio`), the one
feature spec (:mod:`nlc.features`), the submission protocol (:mod:`nlc.protocol`), the
error hierarchy (:mod:`nlc.errors`), provenance records (:mod:`nlc.provenance`) and the CLI.
The subsystems live in top-level folders and are imported as ``nlc.<folder>``.
"""

__version__ = "0.1.0"
