"""Load a model version back from ZenML's Model Control Plane, outside any pipeline.

What services and scripts call: ``production_model("fraud_xgb")`` is the fitted object of
the model's ``production`` version (the ``model`` artifact its training pipeline wrote).
ZenML is configured for this stack first, and told the stack root is the source root, so
loading works from any entry point (a service, a notebook, ``python -c``).
"""

from __future__ import annotations

from typing import Any

from pipelines.run import configure_environment, use_stack_source_root
from pipelines.stack_plan import stack_root

__all__ = ["model_version", "production_model"]


def model_version(name: str, version: str = "production") -> Any:
    """The ZenML model version ``version`` (a stage or a number) of model ``name``."""
    root = stack_root()
    configure_environment(root)
    use_stack_source_root(root)
    from zenml import Model

    return Model(name=name, version=version)


def production_model(name: str) -> Any:
    """The fitted object of model ``name``'s production version."""
    return model_version(name).get_artifact("model").load()
