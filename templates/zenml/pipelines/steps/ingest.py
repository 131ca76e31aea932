"""Step ``ingest``: the model's source rows, read from where the plan says or synthesised."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from zenml import step

from pipelines.data import read_source
from pipelines.events import step_events
from pipelines.stack_plan import load_plan


@step
def ingest(model_name: str, rows: int = 0, data: str = "auto") -> Annotated[pd.DataFrame, "rows"]:
    """Read the source of model ``model_name`` (``rows`` sets the synthetic source's size)."""
    with step_events("ingest"):
        plan = load_plan()
        return read_source(plan, plan.model(model_name).source, rows, data)
