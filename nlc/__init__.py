"""nlc-bench: dataset and benchmark toolkit for music loop compatibility.

`nlc` holds only what several subsystems share: audio I/O (:mod:`nlc.audio`), the one
feature spec (:mod:`nlc.features`), the submission protocol (:mod:`nlc.protocol`), the
error hierarchy (:mod:`nlc.errors`), provenance records (:mod:`nlc.provenance`) and the CLI.
The subsystems live in top-level folders and are imported as ``nlc.<folder>``.

Importing ``nlc`` sets ``OMP_WAIT_POLICY=PASSIVE`` unless the environment says otherwise.
OpenMP threads (torch's CPU ops) otherwise spin at every barrier; the baselines run many
small ops per loop pair, and on a 2-core machine with one other busy process the spinning
made 2-thread CNN scoring 8x slower than 1 thread (13.4 against 1.7 ms per pair here); with
passive waiting the two cost about the same. Training, made of large ops, runs at the same
speed either way on an idle machine (CNN 103 against 102 pairs/s with spinning). It only
takes effect if ``nlc`` is imported before torch, which the CLI and the bench scripts do.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
