"""Which promotions go through a rollout, and the plan's numbers that judge one.

A candidate that passes its gates replaces production at once only when nothing would be
learnt from a rollout: the plan's strategy is ``all_at_once``, the model is not served online
(batch scoring has no traffic to split), or the model has no production version yet (there is
no baseline to fall back to, and the service cannot start without one). Otherwise it becomes
the rollout's candidate and production keeps serving.

The judge of a step is the stack's own alerting, restricted to the candidate:

* errors: the canary's error ratio over the step against the strictest *page* burn-rate
  alert whose short window fits in a step (a 30-minute step is judged by the 5-minute and
  30-minute pages, not by the 6-hour ticket), i.e. the ratio at which that alert would fire
  if the whole service answered like the canary;
* quality: each live quality monitor of the model (``monitoring.quality`` with ``live``)
  measured on the labelled outcomes of the candidate's own predictions, against its bound.

A step advances only on evidence: at least ``1 / threshold`` canary rows (fewer could not show
that ratio being exceeded even once), unless the operator sets ``--min-rows``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.stack_plan import StackPlan

__all__ = [
    "ErrorBound",
    "QualityBound",
    "error_bound",
    "online",
    "quality_bounds",
    "rollout_settings",
    "window_seconds",
]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(text: str) -> int:
    """Seconds of a Prometheus duration such as ``5m``, ``6h`` or ``3d``."""
    found = re.fullmatch(r"(\d+)([smhdw])", text.strip())
    if found is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def rollout_settings(plan: StackPlan) -> Mapping[str, Any]:
    """The plan's ``training.rollout`` (strategy, steps, step minutes)."""
    settings: Mapping[str, Any] = plan.raw["training"]["rollout"]
    return settings


def online(plan: StackPlan, model: str) -> bool:
    """Whether ``model`` answers online requests (its promotions can be rolled out)."""
    serving = plan.raw.get("serving") or {}
    if serving.get("mode") not in ("realtime", "both"):
        return False
    return model in (serving.get("models") or ())


@dataclass(frozen=True)
class ErrorBound:
    """The error ratio a canary must stay under, from the alert that sets it."""

    threshold: float
    burn_rate: float
    short_window: str
    long_window: str

    @property
    def min_rows(self) -> int:
        """Canary rows a step needs before its error ratio counts as evidence."""
        return math.ceil(1.0 / self.threshold)


def error_bound(plan: StackPlan, step_minutes: int) -> ErrorBound | None:
    """The strictest page alert whose short window fits in a step (None: the plan has none)."""
    alerts = (plan.raw.get("availability") or {}).get("burn_rate_alerts") or ()
    fitting = [
        a
        for a in alerts
        if a["severity"] == "page" and window_seconds(a["short_window"]) <= step_minutes * 60
    ]
    if not fitting:
        fitting = [a for a in alerts if a["severity"] == "page"][:1]
    if not fitting:
        return None
    chosen = min(fitting, key=lambda a: float(a["error_rate_threshold"]))
    return ErrorBound(
        threshold=float(chosen["error_rate_threshold"]),
        burn_rate=float(chosen["burn_rate"]),
        short_window=str(chosen["short_window"]),
        long_window=str(chosen["long_window"]),
    )


@dataclass(frozen=True)
class QualityBound:
    """A live quality monitor of the model under rollout."""

    metric: str
    min: float | None
    max: float | None
    monitor: Mapping[str, Any]

    def breached(self, value: float) -> bool:
        """Whether ``value`` lies outside the monitor's bounds."""
        return (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        )


def quality_bounds(plan: StackPlan, model: str) -> Sequence[QualityBound]:
    """The live quality monitors of ``model`` (those outcome ingestion measures)."""
    monitors = (plan.raw.get("monitoring") or {}).get("quality") or ()
    return tuple(
        QualityBound(str(m["metric"]), m.get("min"), m.get("max"), m)
        for m in monitors
        if m.get("live") and m.get("model") == model and not m.get("by")
    )
