"""Step ``features``: the model's training frame, view features joined point in time.

Models that read feature views get them through the Feast repository in ``features/``
(see ``pipelines/feature_join.py``): columns ``<view>__<feature>`` as of each row's event time.
The same step then materialises those views into the online store up to the batch's latest
event, so the service reads the values training computed.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from zenml import step

from pipelines.events import step_events
from pipelines.feature_join import fill_online_store, join_views
from pipelines.stack_plan import load_plan


@step
def features(
    frame: pd.DataFrame, model_name: str, rows: int = 0, data: str = "auto"
) -> Annotated[pd.DataFrame, "training_frame"]:
    """The rows with every input of model ``model_name`` as a column."""
    with step_events("features"):
        plan = load_plan()
        model = plan.model(model_name)
        if not model.views:
            return frame
        joined = join_views(plan, model, frame, rows, data)
        fill_online_store(plan, model, frame)
        return joined
