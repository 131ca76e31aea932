"""Step ``train`` of a model that is compressed before serving: the float model, kept apart.

The training pipeline of a model whose plan has an ``optimize`` step runs this function under
the step name ``train`` (so the cluster run config's pod settings for ``train`` apply). Its
artifact is named ``float_model``: the name ``model`` belongs to what is served, the
compressed model the ``optimize`` step writes.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from zenml import ArtifactConfig, step
from zenml.enums import ArtifactType

from pipelines.materializers import PickleMaterializer
from pipelines.steps.train import train


@step(output_materializers=PickleMaterializer)
def train_float(
    frame: pd.DataFrame, model_name: str
) -> Annotated[Any, ArtifactConfig(name="float_model", artifact_type=ArtifactType.MODEL)]:
    """The fitted float model (the artifact ``float_model`` of the Model Control Plane)."""
    return train.entrypoint(frame, model_name)
