"""Step ``features``: the model's training frame, view features joined point in time.

Models that read feature views get them through the Feast repository in ``features/``
(``pipelines/feature_store.py``): the window aggregates are computed into the views' tables,
then joined to each row as of its event time, as columns ``<view>__<feature>``.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import pandas as pd
from zenml import step

from pipelines.data import read_source
from pipelines.events import step_events
from pipelines.stack_plan import ModelSpec, StackPlan, load_plan, stack_root

ROW = "_row"


def join_views(
    plan: StackPlan, model: ModelSpec, frame: pd.DataFrame, rows: int, data: str
) -> pd.DataFrame:
    """``frame`` with the model's view features joined point in time through Feast."""
    feature_store = importlib.import_module("pipelines.feature_store")
    root = stack_root()
    source = plan.source(model.source)
    frames = {source.name: frame}
    for name in sorted({plan.view(v).source for v in model.views} - {source.name}):
        frames[name] = read_source(plan, name, rows, data)
    feature_store.build_feature_tables(frames, root)
    keys = sorted({plan.entity(plan.view(v).entity).key for v in model.views})
    if source.event_time is None:
        raise ValueError(f"source {source.name} has no event_time to join features at")
    entity_df = frame[keys].copy()
    entity_df["event_timestamp"] = pd.to_datetime(frame[source.event_time], utc=True)
    entity_df[ROW] = range(len(frame))
    joined = feature_store.historical_features(model.name, entity_df, root)
    wanted = [ROW, *(c for c in model.columns if c in joined.columns and c not in frame)]
    features = joined[wanted].set_index(ROW).sort_index()
    out = frame.reset_index(drop=True)
    return out.join(features, how="left")


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
        return join_views(plan, model, frame, rows, data)
