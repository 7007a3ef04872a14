"""``nlc-bench results export --format model-index``: a result file as a model card's ``model-index``.

The Hugging Face Hub reads evaluation results from the ``model-index`` block of a model
card's YAML header. :func:`model_index_yaml` turns a verified result file into that block,
built with and checked by ``huggingface_hub``'s own classes (:class:`EvalResult`,
:class:`ModelCardData`, :func:`model_index_to_eval_results`), so what is printed is what
the Hub parses.

Choices
-------
* **Task type** ``audio-classification``: the benchmark's core task decides whether two
  loops are compatible (a binary label for a pair of audio clips), and the Hub has no
  audio pair-classification, retrieval or similarity task; ``audio-classification`` is
  also the task category of the ``nlc-loops`` dataset card. The ranking figures are
  reported under the same task type with their own task name and split.
* **Dataset**: type ``nlc-loops`` (or ``--dataset-id``, e.g. ``OWNER/nlc-loops`` on the
  Hub), config ``protocol`` (the card's config holding the frozen protocol), split
  ``classification`` for accuracy, F1 and ROC-AUC and ``ranking`` for the rank figures,
  so each figure names the exact table it was computed on. ``revision`` is the dataset
  repository's git revision, which a result file does not know: it is set only with
  ``--dataset-revision``. The protocol version, content hash and dataset fingerprint of
  the result file are given as the dataset's ``args``.
* **Metrics**: one entry per figure of :data:`nlc.benchmark.metrics.METRIC_TABLE`, type the
  figure's key (``accuracy``, ``f1``, ``roc_auc`` are Hub metric ids), its title as name
  (with the threshold for accuracy and F1, "main score" for ROC-AUC and "lower is better"
  for the average rank),
  and ``verified: false`` (self-reported: only the Hub's evaluation service sets true).
"""

from __future__ import annotations

import re
from typing import Any

from nlc.benchmark import figures
from nlc.benchmark.metrics import MAIN_SCORE, METRIC_TABLE
from nlc.benchmark.results import BenchmarkResults
from nlc.errors import InputError, IntegrityError

HUB_TASK_TYPE = "audio-classification"
"""Closest Hub task (see the module docstring)."""
DATASET_TYPE = "nlc-loops"
DATASET_NAME = "NLC Loops"
DATASET_CONFIG = "protocol"
"""The dataset card's config that holds the frozen protocol (splits ``classification`` and ``ranking``)."""
TASK_NAMES: dict[str, str] = {
    "classification": "Loop compatibility classification",
    "ranking": "Loop compatibility ranking",
}
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


def _check_repo_id(value: str, option: str) -> str:
    if not _REPO_ID.match(value):
        raise InputError(f"{option} {value!r}: expected OWNER/NAME, e.g. my-org/my-model")
    return value


def _metric_name(key: str, title: str, results: BenchmarkResults) -> str:
    if key in ("accuracy", "f1"):
        return f"{title} (threshold {results.model.threshold:g})"
    if key == "average_rank":
        return f"{title} (of {results.dataset.n_candidates} candidates, lower is better)"
    if key == MAIN_SCORE:
        return f"{title} (main score)"
    return title


def eval_results(
    results: BenchmarkResults, *, dataset_id: str = DATASET_TYPE, dataset_revision: str | None = None,
) -> list[Any]:
    """One ``huggingface_hub.EvalResult`` per figure of :data:`METRIC_TABLE`, in its order."""
    from huggingface_hub import EvalResult

    split_of = {**{k: "classification" for k in figures.CLASSIFICATION_FIGURES},
                **{k: "ranking" for k in figures.RANKING_FIGURES}}
    d = results.dataset
    args = {"protocol_version": d.protocol_version, "content_hash": d.content_hash,
            "dataset_fingerprint": d.dataset_fingerprint}
    out = []
    for info in METRIC_TABLE:
        split = split_of[info.key]
        out.append(EvalResult(
            task_type=HUB_TASK_TYPE, task_name=TASK_NAMES[split],
            dataset_type=dataset_id, dataset_name=DATASET_NAME, dataset_config=DATASET_CONFIG,
            dataset_split=split, dataset_revision=dataset_revision, dataset_args=dict(args),
            metric_type=info.key, metric_name=_metric_name(info.key, info.title, results),
            metric_value=float(getattr(results.metrics, info.key)), verified=False,
        ))
    return out


def model_index(
    results: BenchmarkResults, *, model_id: str | None = None, dataset_id: str = DATASET_TYPE,
    dataset_revision: str | None = None,
) -> list[dict[str, Any]]:
    """The ``model-index`` list for ``results``, checked by ``huggingface_hub``'s parser.

    Parameters
    ----------
    results : BenchmarkResults
        A (verified) result file.
    model_id : str or None
        ``OWNER/NAME`` of the model on the Hub, the index's ``name``; None: the results'
        model name.
    dataset_id : str
        Dataset type: ``nlc-loops`` or the Hub id of the dataset (``OWNER/nlc-loops``).
    dataset_revision : str or None
        Git revision of the dataset repository the protocol was read from.

    Raises
    ------
    InputError
        A malformed ``model_id`` or ``dataset_id``, or an empty revision.
    """
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import model_index_to_eval_results

    name = _check_repo_id(model_id, "--model-id") if model_id is not None else results.model.name
    if dataset_id != DATASET_TYPE:
        _check_repo_id(dataset_id, "--dataset-id")
    if dataset_revision is not None and not dataset_revision.strip():
        raise InputError("--dataset-revision: empty revision")
    evals = eval_results(results, dataset_id=dataset_id, dataset_revision=dataset_revision)
    index: list[dict[str, Any]] = ModelCardData(model_name=name, eval_results=evals).to_dict()["model-index"]
    # Round trip through the Hub's parser: the printed block must read back as these results.
    parsed_name, parsed = model_index_to_eval_results(index)
    if parsed_name != name or parsed != evals:
        raise IntegrityError(f"{name}: huggingface_hub does not read the model-index back as written")
    header: dict[str, Any] = {"model-index": index}
    ModelCardData(**header)  # what loading a model card does; raises if unparseable
    return index


def model_index_yaml(
    results: BenchmarkResults, *, model_id: str | None = None, dataset_id: str = DATASET_TYPE,
    dataset_revision: str | None = None,
) -> str:
    """The ``model-index:`` YAML block to paste into a model card's header (ends with a newline).

    Written by ``huggingface_hub`` itself (``ModelCardData.to_yaml``) from the checked index.
    """
    from huggingface_hub import ModelCardData

    index = model_index(results, model_id=model_id, dataset_id=dataset_id, dataset_revision=dataset_revision)
    header: dict[str, Any] = {"model-index": index}
    return ModelCardData(**header).to_yaml() + "\n"
