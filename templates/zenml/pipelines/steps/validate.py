"""Step ``validate``: the batch must match the plan's schema and validation rules."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from zenml import step

from pipelines.checks import validate_frame
from pipelines.data import DEFAULT_ROWS, uses_synthetic
from pipelines.events import step_events
from pipelines.stack_plan import load_plan


@step
def validate(
    frame: pd.DataFrame, model_name: str, rows: int = 0, data: str = "auto"
) -> Annotated[pd.DataFrame, "validated_rows"]:
    """Stop the run with a report when the batch breaks a rule; pass it on otherwise.

    A synthetic batch is held to ``min(min_rows, rows)`` (``rows`` defaults to
    :data:`~pipelines.data.DEFAULT_ROWS`): asking for a small run is not a data problem.
    """
    with step_events("validate"):
        plan = load_plan()
        source = plan.source(plan.model(model_name).source)
        min_rows = plan.validation.min_rows
        if uses_synthetic(source, data):
            min_rows = min(min_rows, rows or DEFAULT_ROWS)
        validate_frame(source, plan.validation, frame, min_rows)
        return frame
