"""Routing by key: which partition of the routed models answers a request, or the fallback.

Built from ``plan.json``'s ``serving.routing``. The routed ``targets`` (NLP: ``sentiment`` and
``entities``) are each trained as shards of partition values (``partition_by: language``);
one registered model holds every shard and picks the shard from the row's key field. The
router decides that key value once per request, the same way training evaluated the shards:

1. the request's own key value, when it is a partition value the plan lists;
2. when the request lacks the key (absent, None or empty), the detector model's answer
   (language identification), if the detector is at least ``min_confidence`` sure and its
   answer is a listed partition value;
3. otherwise the fallback model: a wrong specialist is worse than a generalist. A key value
   the request states but no shard trains goes there directly, as in training: the detector
   fills a missing key, it does not overrule the caller.

Values are compared exactly as the plan lists them (``fr``, not ``FR``): the shards were
trained on those values, so a value the plan does not list has no shard of its own. When the
plan lists no values (a column without declared values), any non-empty key value is taken.
The detector is injected as a callable, so this module stays standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MIN_CONFIDENCE", "Detector", "Route", "Router"]

MIN_CONFIDENCE = 0.5
"""The detector's lowest usable confidence: the language family's ``MIN_PROBABILITY``."""

Detector = Callable[[Mapping[str, object]], "tuple[str | None, float] | None"]
"""Reads a request row, returns (value, confidence) or None when it cannot tell."""


@dataclass(frozen=True)
class Route:
    """Where a request goes.

    ``partition`` is the key value the routed ``models`` are called with (None on the
    fallback); ``source`` says where it came from: ``request``, ``detector`` or ``fallback``.
    """

    partition: str | None
    source: str
    models: tuple[str, ...]

    @property
    def name(self) -> str:
        """The partition value, else the answering fallback model (what ``route`` returns)."""
        return self.partition if self.partition is not None else ",".join(self.models)


@dataclass(frozen=True)
class Router:
    """Per-key routing with a detector for rows that lack the key, and a fallback model."""

    key: str
    targets: tuple[str, ...]
    partition_values: frozenset[str] | None = None
    fallback: str | None = None
    detector: str | None = None
    min_confidence: float = MIN_CONFIDENCE

    @classmethod
    def from_plan(
        cls, serving: Mapping[str, Any], min_confidence: float = MIN_CONFIDENCE
    ) -> Router | None:
        """The router of ``plan.json``'s ``serving`` section, or None when it routes nothing."""
        routing = serving.get("routing")
        if routing is None:
            return None
        values = routing.get("partition_values")
        return cls(
            key=str(routing["key"]),
            targets=tuple(str(t) for t in routing["targets"]),
            partition_values=None if values is None else frozenset(str(v) for v in values),
            fallback=routing.get("fallback"),
            detector=routing.get("detector"),
            min_confidence=min_confidence,
        )

    @property
    def models(self) -> tuple[str, ...]:
        """Every model a route can name: the detector, the targets, the fallback."""
        named = (self.detector, *self.targets, self.fallback)
        return tuple(model for model in named if model is not None)

    def known(self, value: object) -> bool:
        """Whether ``value`` is a partition value with shards of its own."""
        if not isinstance(value, str) or not value:
            return False
        return self.partition_values is None or value in self.partition_values

    def resolve(self, row: Mapping[str, object], detect: Detector | None = None) -> Route:
        """The route of one request row (see the module docstring for the order).

        ``detect`` is only called when the row lacks the key and the plan has a detector.
        The fallback is the ``fallback`` model, or, without one, the targets themselves called
        with no partition (each set of shards keeps a generalist of its own).
        """
        value = row.get(self.key)
        if self.known(value):
            return Route(str(value), "request", self.targets)
        if (value is None or value == "") and detect is not None and self.detector is not None:
            found = detect(row)
            if found is not None:
                detected, confidence = found
                if confidence >= self.min_confidence and self.known(detected):
                    return Route(str(detected), "detector", self.targets)
        models = (self.fallback,) if self.fallback is not None else self.targets
        return Route(None, "fallback", models)

    def route(self, row: Mapping[str, object], detect: Detector | None = None) -> str:
        """The partition value the row goes to, or the name of the fallback that answers it."""
        return self.resolve(row, detect).name
