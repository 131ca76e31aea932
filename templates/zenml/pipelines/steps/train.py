"""Step ``train``: fit the model's family on the rows before the hold-out."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from zenml import ArtifactConfig, step
from zenml.enums import ArtifactType

from pipelines.data import SEED
from pipelines.events import step_events
from pipelines.tasks import family_of
from pipelines.holdout import split
from pipelines.materializers import PickleMaterializer
from pipelines.stack_plan import load_plan


@step(output_materializers=PickleMaterializer)
def train(
    frame: pd.DataFrame, model_name: str
) -> Annotated[Any, ArtifactConfig(name="model", artifact_type=ArtifactType.MODEL)]:
    """The fitted model (the artifact ``model`` of the Model Control Plane)."""
    with step_events("train"):
        plan = load_plan()
        model = plan.model(model_name)
        training, _ = split(model, plan.source(model.source), frame)
        return family_of(model.task).fit(model, training, SEED)
