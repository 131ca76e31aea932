"""The model metrics each task can produce, so gates and monitors name metrics that exist.

A gate on ``ndcg_at_10`` for a binary classifier would pass the spec and then fail in the
generated evaluation step, after hours of training. The table below is what the generated
evaluation code computes per task; names ending in ``_at_k`` stand for any cut-off written
with a number (``recall_at_100``, ``ndcg_at_10``). The generated families compute every entry
for every cut-off a model's gates and monitors name; a functional test
(``tests/functional/test_families.py``) fails when the two disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlopsgen.spec.models.ml import Task

_CLASSIFICATION = ("accuracy", "macro_f1", "weighted_f1", "f1", "precision", "recall", "log_loss")

MODEL_METRICS: dict[Task, tuple[str, ...]] = {
    "binary_classification": (
        "roc_auc",
        "pr_auc",
        "precision",
        "recall",
        "f1",
        "false_positive_rate",
        "false_negative_rate",
        "accuracy",
        "log_loss",
        "brier_score",
    ),
    "multiclass_classification": _CLASSIFICATION,
    "regression": ("mae", "mse", "rmse", "r2", "mape"),
    "ranking": ("ndcg_at_k", "map", "mrr", "precision_at_k", "recall_at_k"),
    "retrieval": ("recall_at_k", "precision_at_k", "ndcg_at_k", "hit_rate_at_k", "mrr"),
    "anomaly_detection": (
        "precision_at_k",
        "recall_at_k",
        "roc_auc",
        "pr_auc",
        "precision",
        "recall",
        "f1",
        "false_positive_rate",
        "anomaly_rate",
    ),
    "image_classification": (*_CLASSIFICATION, "top_k_accuracy"),
    "object_detection": ("map", "map_50", "map_75", "precision", "recall"),
    "sentiment_analysis": _CLASSIFICATION,
    "entity_recognition": ("f1", "precision", "recall", "macro_f1"),
    "language_identification": ("accuracy", "macro_f1", "f1"),
    "forecasting": ("mape", "smape", "mae", "rmse", "mase", "wape"),
    "text_generation": ("perplexity", "eval_loss"),
    "embedding": ("recall_at_k", "mrr", "ndcg_at_k"),
}
"""Metrics the generated evaluation step computes, by task."""

_CUT_OFF = re.compile(r"^(?P<stem>[a-z_]+_at_)(?P<k>[1-9][0-9]{0,4})$")
_TOP_K = re.compile(r"^top_(?P<k>[1-9][0-9]{0,2})_accuracy$")


def canonical(metric: str) -> str:
    """Fold a cut-off metric onto its table entry: ``ndcg_at_10`` -> ``ndcg_at_k``."""
    match = _CUT_OFF.match(metric)
    if match is not None:
        return f"{match.group('stem')}k"
    if _TOP_K.match(metric) is not None:
        return "top_k_accuracy"
    return metric


def produces(task: Task, metric: str) -> bool:
    """Whether a model of ``task`` can be evaluated on ``metric``."""
    if metric.endswith("_at_k") or metric == "top_k_accuracy":
        return False  # the table's placeholders, not metrics a user can write
    return canonical(metric) in MODEL_METRICS[task]


def shown(task: Task) -> list[str]:
    """The task's metrics as a user writes them (``_at_k`` as ``_at_<k>``)."""
    return [m.replace("_at_k", "_at_<k>").replace("top_k", "top_<k>") for m in MODEL_METRICS[task]]


def producible(tasks: Iterable[Task]) -> list[str]:
    """Every metric some model of ``tasks`` can produce, in table order without repeats."""
    seen: dict[str, None] = {}
    for task in tasks:
        seen.update(dict.fromkeys(shown(task)))
    return list(seen)
