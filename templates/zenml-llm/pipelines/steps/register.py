"""Step ``register``: the model version's metrics, base model and stage in the Model Control Plane.

Every candidate is registered with its metrics, gates, oracle and base model as metadata
(the ``adapter`` artifact is already attached to the version). A candidate that passes every
gate becomes ``production``; one that does not stays in ``staging`` while the previous
production version keeps serving.
"""

from __future__ import annotations

from typing import Annotated, Any

from zenml import get_step_context, log_metadata, step
from zenml.enums import ModelStages

from pipelines.events import step_events


@step
def register(
    evaluation: dict[str, Any], base_model: str, model_name: str
) -> Annotated[dict[str, Any], "summary"]:
    """Record the candidate and promote it through the gates; return the run's summary row."""
    with step_events("register"):
        version = get_step_context().model
        metrics = {k: float(v) for k, v in evaluation["metrics"].items()}
        log_metadata(
            metadata={
                "metrics": metrics,
                "oracle": {k: float(v) for k, v in evaluation["oracle"].items()},
                "gates": {g["metric"]: bool(g["passed"]) for g in evaluation["gates"]},
                "base_model": base_model,
            },
            infer_model=True,
        )
        promoted = all(g["passed"] for g in evaluation["gates"])
        stage = ModelStages.PRODUCTION if promoted else ModelStages.STAGING
        version.set_stage(stage, force=True)
        return {
            "name": model_name,
            "version": str(version.version),
            "stage": stage.value,
            "promoted": promoted,
            "rollout": None,
            "metrics": metrics,
            "gates": evaluation["gates"],
            "oracle": evaluation["oracle"],
        }
