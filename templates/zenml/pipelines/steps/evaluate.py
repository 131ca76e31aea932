"""Step ``evaluate``: metrics on the time-based hold-out, the gates, and the oracle."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from zenml import step

from pipelines.events import step_events
from pipelines.tasks import family_of
from pipelines.gates import check_gates
from pipelines.holdout import split
from pipelines.stack_plan import load_plan


@step
def evaluate(
    fitted: Any, frame: pd.DataFrame, model_name: str
) -> Annotated[dict[str, Any], "evaluation"]:
    """``{"metrics", "gates", "oracle", "holdout_rows"}`` for model ``model_name``.

    The oracle is the same metrics for the synthetic source's true score on the same rows:
    the best any model could reach, so a reader can tell a weak pipeline from hard data.
    """
    with step_events("evaluate"):
        plan = load_plan()
        model = plan.model(model_name)
        _, holdout = split(model, plan.source(model.source), frame)
        family = family_of(model.task)
        metrics = family.evaluate(model, fitted, holdout)
        oracle = family.oracle(model, holdout) if hasattr(family, "oracle") else {}
        return {
            "metrics": metrics,
            "gates": check_gates(model.gates, metrics),
            "oracle": oracle,
            "holdout_rows": len(holdout),
        }
