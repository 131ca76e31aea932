"""Feature-view values for a batch of request rows, from the stack's Feast online store.

The views the models were trained on are read from the online store the training run
materialised (``features/feature_store.yaml``: SQLite locally), once per batch for every
feature any served model needs. A row whose entity is unknown, or whose value is missing or
expired, gets the feature's empty-window value (0 for counts and sums) or stays missing
(``None``) where there is none: the models were trained with missing values, so a new user
scores instead of failing the request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from services.serving_plan import FeatureRef, ServingConfig, service_root

__all__ = ["OnlineFeatures"]


class OnlineFeatures:
    """Reads the served models' view features for request rows, by frame column."""

    def __init__(self, config: ServingConfig, root: Path | None = None) -> None:
        self.refs: tuple[FeatureRef, ...] = config.features
        self.root = root or service_root()
        self._store: Any | None = None

    def _feast(self) -> Any:
        """The Feast store, opened on first use (a service without views never opens it)."""
        if self._store is None:
            from pipelines.feature_store import open_store

            self._store = open_store(self.root)
        return self._store

    def read(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """Each feature's values for ``rows``, keyed by ``<view>__<feature>``, in row order."""
        if not self.refs or not rows:
            return {ref.frame_column: [ref.default] * len(rows) for ref in self.refs}
        keys = sorted({ref.entity_key for ref in self.refs})
        # Feast needs every join key in every entity row; a missing key is read as an empty
        # string, which no entity has, so that row gets the defaults.
        entity_rows = [{key: _key(row.get(key)) for key in keys} for row in rows]
        response = self._feast().get_online_features(
            features=[f"{ref.view}:{ref.feature}" for ref in self.refs],
            entity_rows=entity_rows,
            full_feature_names=True,
        )
        found: dict[str, list[Any]] = response.to_dict()
        out: dict[str, list[Any]] = {}
        for ref in self.refs:
            values = found.get(ref.frame_column, [None] * len(rows))
            out[ref.frame_column] = [ref.default if _missing(v) else v for v in values]
        return out


def _key(value: Any) -> Any:
    return "" if value is None else value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
