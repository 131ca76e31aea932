"""Impressions and clicks shaped like a recommendation source's schema, with the true odds.

Retrieval and ranking models learn from who was shown what, where, and what they clicked, so
this source is written as traffic, not as independent columns: the families' interaction
model (:mod:`pipelines.families.interaction_data`) draws requests whose slates follow each
user's taste and the items' popularity, and clicks that depend on taste, item quality, the
user's engagement and the position in the slate. The schema decides where each part goes:
the entity key naming a user (else the first) holds the users, the one naming an item (else
the next) the items, with keys formed as the tabular generator forms them (``i17``) over the
same catalogue size, so another source keyed by items (a catalogue table) names the same
items; an integer feature named like a position holds the slate position; the event time is
the request's (one per slate, so a ranker can group a request's rows); the boolean target is
the click, and ``_oracle__<target>`` its true probability.

Part of the signal is carried only by the feature views: the category features (a surface,
a device) are drawn per request and shift the click odds; a numeric column that a user-keyed
view aggregates (a dwell time) follows the user's engagement, so only its window average
reveals how likely that user is to click; an item-keyed view's click rate reveals quality.
Any other column is written as the tabular generator writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from pipelines.families.interaction_data import SLATE_SIZES, interactions, user_engagement
from pipelines.stack_plan import FieldSpec, SourceSpec, StackPlan
from pipelines.synthetic import (
    ORACLE_PREFIX,
    column_values,
    entity_cardinality,
    event_times,
    history_days,
    plant_anomalies,
    source_entity_keys,
)

__all__ = ["IMPRESSIONS_PER_USER", "generate", "roles"]

#: Impressions per user on average (a few requests each), so tastes can be learned.
IMPRESSIONS_PER_USER = 40
#: Spread of the click logit a category value adds.
CONTEXT_EFFECT = 0.5
_POSITION_NAMES = ("position", "rank", "slot")
Rng = np.random.Generator


def _named(fields: Sequence[FieldSpec], word: str, taken: set[str]) -> FieldSpec | None:
    free = [f for f in fields if f.name not in taken]
    return next((f for f in free if word in f.name.lower()), next(iter(free), None))


def roles(source: SourceSpec) -> dict[str, FieldSpec | None]:
    """The columns holding users, items and slate positions (None when the schema has none)."""
    entities = [f for f in source.fields if f.role == "entity"]
    user = _named(entities, "user", set())
    item = _named(entities, "item", {user.name} if user else set())
    position = next(
        (
            f
            for f in source.fields
            if f.type == "integer"
            and f.role == "feature"
            and any(word in f.name.lower() for word in _POSITION_NAMES)
        ),
        None,
    )
    return {"user": user, "item": item, "position": position}


def _user_aggregated(plan: StackPlan, source: SourceSpec, user: FieldSpec | None) -> set[str]:
    """Numeric columns a view keyed by the user aggregates (they carry the engagement)."""
    if user is None:
        return set()
    columns = set()
    for view in plan.views:
        if view.source == source.name and plan.entity(view.entity).key == user.name:
            columns |= {f.column for f in view.features if f.column and f.agg != "count"}
    return columns


def _engaged(column: FieldSpec, engagement: np.ndarray, rng: Rng) -> np.ndarray:
    """Values within the column's range that grow with the users' engagement."""
    low = column.min if column.min is not None else 0.0
    high = column.max if column.max is not None else low + 100.0
    span = max(high - low, 1e-9)
    noise = rng.normal(0.0, 0.5, size=len(engagement))
    if span > 1000.0:  # long-tailed amounts (seconds, money): a log-normal around span^(1/3)
        values = low + np.exp(np.log(span ** (1.0 / 3.0)) + 0.8 * engagement + noise)
    else:
        values = low + span / (1.0 + np.exp(-(0.8 * engagement + noise)))
    values = np.clip(values, low, high)
    return np.asarray(np.round(values).astype(np.int64) if column.type == "integer" else values)


class _Context:
    """Draws the category features per request and returns the click logit they add."""

    def __init__(self, fields: Sequence[FieldSpec], rng: Rng) -> None:
        self.fields = [f for f in fields if f.type == "category" and f.role == "feature"]
        self.rng = rng
        self.values: dict[str, pd.Categorical] = {}

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        requests = frame["request"].to_numpy()
        logit = np.zeros(len(frame))
        for column in self.fields:
            values = np.array(column.values or ("a", "b", "c"))
            weights = self.rng.dirichlet(np.full(len(values), 2.0))
            drawn = self.rng.choice(len(values), size=int(requests.max()) + 1, p=weights)
            effect = self.rng.normal(0.0, CONTEXT_EFFECT, size=len(values))
            logit += effect[drawn][requests]
            self.values[column.name] = pd.Categorical(
                values[drawn][requests], categories=list(values)
            )
        return logit


def _spelled(field: FieldSpec, numbers: np.ndarray) -> np.ndarray:
    """Keys spelled as the tabular generator spells them (first letter, then the number)."""
    return np.char.add(field.name[:1], numbers.astype(str))


def _target_values(column: FieldSpec | None, clicked: np.ndarray, p: np.ndarray) -> object:
    """The click as the target's type: a boolean, or a graded relevance within its range."""
    if column is None or column.type == "bool":
        return clicked
    if column.type in ("float", "integer"):
        low = column.min if column.min is not None else 0.0
        high = column.max if column.max is not None else low + 1.0
        values = np.where(clicked, low + (high - low) * np.sqrt(p), low)
        return np.round(values).astype(np.int64) if column.type == "integer" else values
    if column.values:
        return np.array(column.values)[np.minimum(clicked.astype(int), len(column.values) - 1)]
    return clicked


def generate(
    plan: StackPlan, source: SourceSpec, rows: int, rng: Rng, end: datetime
) -> pd.DataFrame:
    """``rows`` impressions of ``source`` in event-time order, ending at ``end``."""
    role = roles(source)
    user, item, position = role["user"], role["item"], role["position"]
    items = entity_cardinality(plan, item.name, rows) if item else 50
    users = entity_cardinality(plan, user.name, rows) if user else 5
    users = max(5, min(rows // IMPRESSIONS_PER_USER, users))
    largest = int(position.max) + 1 if position and position.max is not None else SLATE_SIZES[1]
    context = _Context(source.fields, rng)
    traffic = interactions(users, items, rows, rng, effects=context, max_slate=largest)
    requests = traffic["request"].to_numpy()
    first = traffic.groupby("request", sort=True)["user"].first().to_numpy()
    when = (
        event_times(len(first), history_days(source), end, first, rng)
        .iloc[requests]
        .reset_index(drop=True)
    )
    engagement = user_engagement(traffic["user"].to_numpy())
    engaged = _user_aggregated(plan, source, user)
    targets = {m.target for m in plan.models if m.source == source.name and m.target}
    targets |= {source.label} if source.label else set()
    # entity columns other than the user and the item: the tabular long tail
    keys = source_entity_keys(plan, source, rows, rng)
    data: dict[str, object] = {}
    for column in source.fields:
        if column.name == source.event_time or column.type == "timestamp":
            data[column.name] = when
        elif user is not None and column.name == user.name:
            data[column.name] = _spelled(column, traffic["user"].to_numpy())
        elif item is not None and column.name == item.name:
            data[column.name] = _spelled(column, traffic["item"].to_numpy())
        elif position is not None and column.name == position.name:
            data[column.name] = traffic["position"].to_numpy()
        elif column.name in targets:
            clicked = traffic["clicked"].to_numpy()
            data[column.name] = _target_values(
                column, clicked, traffic["click_probability"].to_numpy()
            )
        elif column.name in context.values:
            data[column.name] = context.values[column.name]
        elif column.name in engaged and column.type in ("float", "integer"):
            data[column.name] = _engaged(column, engagement, rng)
        else:
            data[column.name] = column_values(column, rows, keys, rng)
    frame = pd.DataFrame(data)
    for target in targets:
        frame[ORACLE_PREFIX + target] = traffic["click_probability"].to_numpy()
    if source.event_time is not None:
        frame = frame.sort_values(source.event_time, kind="stable").reset_index(drop=True)
    return plant_anomalies(plan, source, frame, rng)
