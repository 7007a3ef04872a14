"""The ``nlc-loops/`` contract: the one way every stage after the builder reads the dataset.

The builder writes the folder; baselines, benchmark, leaderboard and listening test read it
through these modules only, never through :mod:`nlc.dataset_builder`:

* :mod:`~nlc.loops.layout` -- file names, columns, roles and the canonical loop encoding;
* :mod:`~nlc.loops.reader` -- checked, fast access to pairs, loop audio and protocol tables;
* :mod:`~nlc.loops.negatives` -- the five negative-sampling methods as recipes;
* :mod:`~nlc.loops.protocol_tables` -- the frozen classification and ranking tables.
"""
