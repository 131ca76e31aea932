"""Which family trains a task: the dispatch table of the training steps.

Every family module under ``pipelines/families/`` exports ``fit(model, frame, seed)``,
``predict(model, fitted, frame)`` and ``evaluate(model, fitted, holdout)`` (and
``oracle(model, holdout)`` when it can score the synthetic source's true signal).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["FAMILY_OF_TASK", "family_of"]

FAMILY_OF_TASK = {
    "binary_classification": "tabular",
    "multiclass_classification": "tabular",
    "regression": "tabular",
    "anomaly_detection": "anomaly",
    "ranking": "ranking",
    "retrieval": "retrieval",
    "image_classification": "vision",
    "language_identification": "language",
    "sentiment_analysis": "text",
    "entity_recognition": "text",
    "forecasting": "forecasting",
}


def family_of(task: str) -> ModuleType:
    """The family module that trains models of ``task``."""
    return importlib.import_module(f"pipelines.families.{FAMILY_OF_TASK[task]}")
