"""Join a model's view features onto its rows, point in time, through Feast.

Plain Python (no ZenML), so the training step, batch scoring and services join features the
same way: the window aggregates are computed into the views' tables, the repository is
applied, and each row gets the values as of its event time, as columns ``<view>__<feature>``.
"""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta

import pandas as pd

from pipelines.data import read_source
from pipelines.stack_plan import ModelSpec, StackPlan, stack_root

__all__ = ["fill_online_store", "join_views"]


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
    # Feast imports the repository's definitions by module name from its folder, which is on
    # the path only when the interpreter was started there.
    repo = str((root / "features").resolve())
    if repo not in sys.path:
        sys.path.append(repo)
    feature_store.apply(root)
    keys = sorted({plan.entity(plan.view(v).entity).key for v in model.views})
    if source.event_time is None:
        raise ValueError(f"source {source.name} has no event_time to join features at")
    out = frame.reset_index(drop=True)
    entity_df = out[keys].copy()
    entity_df["event_timestamp"] = pd.to_datetime(out[source.event_time], utc=True)
    joined = feature_store.historical_features(model.name, entity_df, root)
    wanted = [c for c in model.columns if c in joined.columns and c not in out]
    return out.join(joined[wanted], how="left")


def fill_online_store(plan: StackPlan, model: ModelSpec, frame: pd.DataFrame) -> None:
    """Materialise the model's views into the online store up to the rows' latest event.

    The feature tables :func:`join_views` wrote are the ones serving reads through the online
    store, so training and serving see one set of values; incremental, so a scheduled run
    moves only the interval since the previous one.
    """
    source = plan.source(model.source)
    if not model.views or source.event_time is None or frame.empty:
        return
    feature_store = importlib.import_module("pipelines.feature_store")
    latest = pd.to_datetime(frame[source.event_time], utc=True).max()
    feature_store.materialize(stack_root(), latest.to_pydatetime() + timedelta(seconds=1))
