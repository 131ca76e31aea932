"""The service's prediction cache: answers of repeated requests without calling the models.

Wraps :mod:`services.cache` (policy and TTL cache) for the scorer. The key is the plan's cache
fields plus the experiment and arm serving the row, since an arm may answer differently. A hit
is the stored answer marked ``"cached": true``; every lookup counts in
``mlopsgen_cache_requests_total`` by ``result`` (hit, miss). Each worker process holds its
own cache (see :mod:`services.cache` on the planned shared backend).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from services import metrics
from services.cache import CachePolicy, TTLCache
from services.serving_plan import ServingConfig

if TYPE_CHECKING:
    from services.arms import Arm

__all__ = ["PredictionCache"]


class PredictionCache:
    """Per-worker answers keyed by the policy's fields and the row's arm."""

    def __init__(self, policy: CachePolicy) -> None:
        self.policy = policy
        self.entries: TTLCache[dict[str, Any]] = policy.new_cache()

    @classmethod
    def from_config(cls, config: ServingConfig) -> PredictionCache | None:
        """The cache the plan asks for, or None when it has none."""
        policy = CachePolicy.from_plan(config.serving)
        return None if policy is None else cls(policy)

    def key(self, row: Mapping[str, object], experiment: str | None, variant: str | None) -> str:
        """The row's key: its cache fields, and the experiment arm that answers it."""
        return self.policy.key_of(row, experiment, variant)

    def lookup(
        self, rows: Sequence[Mapping[str, Any]], arms: Sequence[Arm | None]
    ) -> tuple[list[dict[str, Any] | None], list[str]]:
        """Each row's cached answer (None on a miss) and its key, in order."""
        keys = [
            self.key(row, None, None) if arm is None else self.key(row, arm.experiment, arm.variant)
            for row, arm in zip(rows, arms, strict=True)
        ]
        return [self.get(key) for key in keys], keys

    def get(self, key: str) -> dict[str, Any] | None:
        """A copy of the answer stored under ``key``, marked cached; counts hit or miss."""
        stored = self.entries.get(key)
        metrics.CACHE_REQUESTS.labels(result="miss" if stored is None else "hit").inc()
        if stored is None:
            return None
        answer = copy.deepcopy(stored)
        answer["cached"] = True
        return answer

    def put(self, key: str, answer: dict[str, Any]) -> None:
        """Mark a freshly computed answer not cached and keep a copy of it (later edits of
        the answer do not leak into the cache)."""
        answer["cached"] = False
        self.entries.put(key, copy.deepcopy(answer))
