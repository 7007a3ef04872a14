"""The benchmark harness: score any submission on the frozen protocol (paper section 5.1).

:mod:`~nlc.benchmark.validate` checks a submission on generated audio,
:mod:`~nlc.benchmark.scoring` runs it on the protocol tables, :mod:`~nlc.benchmark.metrics`
(pure functions) and :mod:`~nlc.benchmark.figures` / :mod:`~nlc.benchmark.bootstrap` make the
figures and intervals, :mod:`~nlc.benchmark.results` is the versioned result file,
:mod:`~nlc.benchmark.compare` the paired tests and :mod:`~nlc.benchmark.reproduce` Table 2.
See ``docs/benchmark.md``.
"""
