"""Task families: plain-Python fit, predict and evaluate, one module per family.

:func:`family_of` maps a model's task to its family module; every module exports
``fit(model, frame, seed)``, ``predict(model, fitted, frame)`` and
``evaluate(model, fitted, holdout)`` (and ``oracle(model, holdout)`` when it can score the
synthetic source's true signal).
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
