"""Step ``register``: the model version's metrics and stage in the Model Control Plane.

Every candidate is registered (``staging``), with its metrics, gates and oracle as
metadata. A candidate that passes every gate becomes ``production`` at once only when the
plan has nothing to roll it out against (``pipelines.rollout.policy``: strategy
``all_at_once``, a model not served online, or no production version yet); otherwise it stays
in ``staging`` as the rollout's candidate (``rollout: pending`` in the summary) while
production keeps serving, and ``python -m pipelines.run`` starts its rollout.
"""

from __future__ import annotations

from typing import Annotated, Any

from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.enums import ModelStages

from pipelines.events import step_events
from pipelines.rollout.policy import online, rollout_settings
from pipelines.stack_plan import load_plan


def _rolled_out(model_name: str) -> bool:
    """Whether a candidate of ``model_name`` that passes its gates goes through a rollout."""
    plan = load_plan()
    if rollout_settings(plan)["strategy"] == "all_at_once" or not online(plan, model_name):
        return False
    try:
        Client().get_model_version(model_name, ModelStages.PRODUCTION)
    except KeyError:  # never promoted: nothing to roll out against
        return False
    return True


@step
def register(evaluation: dict[str, Any], model_name: str) -> Annotated[dict[str, Any], "summary"]:
    """Record the candidate and promote it through the gates; return the run's summary row."""
    with step_events("register"):
        version = get_step_context().model
        metrics = {k: float(v) for k, v in evaluation["metrics"].items()}
        log_metadata(
            metadata={
                "metrics": metrics,
                "oracle": {k: float(v) for k, v in evaluation["oracle"].items()},
                "gates": {g["metric"]: bool(g["passed"]) for g in evaluation["gates"]},
            },
            infer_model=True,
        )
        promoted = all(g["passed"] for g in evaluation["gates"])
        pending = promoted and _rolled_out(model_name)
        stage = ModelStages.PRODUCTION if promoted and not pending else ModelStages.STAGING
        version.set_stage(stage, force=True)
        return {
            "name": model_name,
            "version": str(version.version),
            "stage": stage.value,
            "promoted": promoted,
            "rollout": "pending" if pending else None,
            "metrics": metrics,
            "gates": evaluation["gates"],
            "oracle": evaluation["oracle"],
        }
