"""Join a model's view features onto its rows, point in time, through Feast.

Plain Python (no ZenML), so the training step, batch scoring and services join features the
same way: the window aggregates are computed into the views' tables, the repository is
applied, and each row gets the values as of its event time, as columns ``<view>__<feature>``.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from datetime import timedelta

import pandas as pd

from pipelines.data import read_source
from pipelines.stack_plan import ModelSpec, StackPlan, stack_root

__all__ = ["fill_online_store", "join_views", "shared_feature_refs"]


#: The last join this process made, under a digest of what it was made from. The training
#: pipelines of a stack run one after another in one process on the local orchestrator, and
#: the models that read one source would each repeat the same point-in-time join.
_LAST_JOIN: dict[str, pd.DataFrame] = {}


def join_views(
    plan: StackPlan, model: ModelSpec, frame: pd.DataFrame, rows: int, data: str
) -> pd.DataFrame:
    """``frame`` with the model's view features joined point in time through Feast.

    The join is made once for every view feature that the trainable models of the source
    read (:func:`shared_feature_refs`) and kept for the next model given the same rows.
    """
    source = plan.source(model.source)
    if source.event_time is None:
        raise ValueError(f"source {source.name} has no event_time to join features at")
    out = frame.reset_index(drop=True)
    refs = shared_feature_refs(plan, model)
    key = _digest(out, refs, rows, data)
    features = _LAST_JOIN.get(key) if key is not None else None
    if features is None:
        features = _join(plan, model, out, refs, rows, data)
        _LAST_JOIN.clear()
        if key is not None:
            _LAST_JOIN[key] = features
    wanted = [c for c in model.columns if c in features.columns and c not in out]
    return out.join(features[wanted], how="left")


def shared_feature_refs(plan: StackPlan, model: ModelSpec) -> tuple[str, ...]:
    """``<view>:<feature>`` of every view input of the trainable models reading the model's
    source (the model's own included), sorted."""
    readers = [m for m in plan.models if m.source == model.source and m.trainable]
    return tuple(
        sorted(
            {
                f"{item.view}:{item.feature}"
                for reader in [*readers, model]
                for item in reader.inputs
                if item.kind == "feature"
            }
        )
    )


def _join(
    plan: StackPlan,
    model: ModelSpec,
    out: pd.DataFrame,
    refs: tuple[str, ...],
    rows: int,
    data: str,
) -> pd.DataFrame:
    """The view features ``refs`` of the rows ``out``, by row (only the feature columns)."""
    feature_store = importlib.import_module("pipelines.feature_store")
    root = stack_root()
    source = plan.source(model.source)
    views = {ref.split(":", 1)[0] for ref in refs}
    frames = {source.name: out}
    for name in sorted({plan.view(v).source for v in views} - {source.name}):
        frames[name] = read_source(plan, name, rows, data)
    feature_store.build_feature_tables(frames, root)
    # Feast imports the repository's definitions by module name from its folder, which is on
    # the path only when the interpreter was started there.
    repo = str((root / "features").resolve())
    if repo not in sys.path:
        sys.path.append(repo)
    feature_store.apply(root)
    keys = sorted({plan.entity(plan.view(v).entity).key for v in views})
    entity_df = out[keys].copy()
    entity_df["event_timestamp"] = pd.to_datetime(out[str(source.event_time)], utc=True)
    joined = feature_store.historical_view_features(list(refs), entity_df, root)
    added = [c for c in joined.columns if c not in entity_df.columns]
    return pd.DataFrame(joined[added])


def _digest(out: pd.DataFrame, refs: tuple[str, ...], rows: int, data: str) -> str | None:
    """What a join depends on, hashed: the rows, the features asked for and where the other
    sources come from; None for rows pandas cannot hash (then nothing is kept)."""
    try:
        values = pd.util.hash_pandas_object(out, index=False).to_numpy()
    except TypeError:
        return None
    digest = hashlib.sha256(values.tobytes())
    header = [str(stack_root().resolve()), *refs, str(rows), data]
    header += [f"{name}:{dtype}" for name, dtype in out.dtypes.items()]
    digest.update("\n".join(header).encode())
    return digest.hexdigest()


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
