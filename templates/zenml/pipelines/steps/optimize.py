"""Step ``optimize``: compress the float model as the plan says, and check what it cost.

Runs after ``evaluate`` for models whose plan lists an ``optimize`` step (quantization or
pruning). The compressed model is what is served, so it is the artifact ``model`` the Model
Control Plane hands to services; the float one stays as ``float_model``. The evaluation
passed on to ``register`` holds the compressed model's metrics (the float model's as
``float_<metric>``), and the gates gain ``accuracy_drop <= max_accuracy_drop``: a model whose
compression costs more than the plan allows is registered but not promoted. A family that
cannot compress passes the float model through unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from zenml import ArtifactConfig, step
from zenml.enums import ArtifactType

from pipelines.data import SEED
from pipelines.events import step_events
from pipelines.gates import check_gates
from pipelines.holdout import split
from pipelines.materializers import PickleMaterializer
from pipelines.stack_plan import GateSpec, load_plan
from pipelines.tasks import family_of

#: The metric the compression check reports, held to the plan's ``max_accuracy_drop``.
DROP_METRIC = "accuracy_drop"


@step(output_materializers=PickleMaterializer)
def optimize(
    float_model: Any, frame: pd.DataFrame, evaluation: dict[str, Any], model_name: str
) -> tuple[
    Annotated[Any, ArtifactConfig(name="model", artifact_type=ArtifactType.MODEL)],
    Annotated[dict[str, Any], "served_evaluation"],
]:
    """The served (compressed) model and its evaluation, gates included."""
    with step_events("optimize"):
        plan = load_plan()
        model = plan.model(model_name)
        family = family_of(model.task)
        if not hasattr(family, "compress"):
            return float_model, evaluation
        training, holdout = split(model, plan.source(model.source), frame)
        compressed = family.compress(model, float_model, training, SEED)
        metrics = family.compression_metrics(model, float_model, compressed, holdout)
        bound = GateSpec(
            metric=DROP_METRIC, min=None, max=model.max_accuracy_drop, at_recall=None, by=None
        )
        return compressed, {
            **evaluation,
            "metrics": metrics,
            "gates": check_gates([*model.gates, bound], metrics),
        }
