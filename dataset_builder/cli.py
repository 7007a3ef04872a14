"""Commands of the dataset builder: ``corpus``, ``extract`` and ``dataset``.

Each command group lives beside the code it drives; this module only gathers them.
"""

from __future__ import annotations

import argparse
import importlib

_GROUPS: tuple[str, ...] = (
    "nlc.dataset_builder.corpus.cli",      # nlc-bench corpus synth|lmms
    "nlc.dataset_builder.extraction.cli",  # nlc-bench extract
    "nlc.dataset_builder.dataset_cli",     # nlc-bench dataset build|publish|stats
)


def register(subparsers: argparse._SubParsersAction) -> None:
    for name in _GROUPS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)
