"""One alerting rule as data, and the PromQL pieces every stack kind's rules are built of.

Classic and language stacks alert on different metrics but the same way: a rule is an
:class:`Alert` (its test cases are derived from it), a share of a counter is :func:`ratio`,
a threshold is written by :func:`promql_number`, and every trained model's freshness is the
age of the timestamp its training run writes (:func:`training_stale`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlopsgen.plan.ir.ops import TrainingFreshness

__all__ = [
    "ASSUMPTION_MINUTES",
    "PROMOTED",
    "RATE_WINDOW",
    "Alert",
    "promql_number",
    "ratio",
    "training_stale",
]

PROMOTED = "mlopsgen_model_promoted_timestamp_seconds"
#: Window the latency quantile, the shed ratio and the request rate are computed over.
RATE_WINDOW = "5m"
#: How long a broken planning assumption must hold before a ticket is opened.
ASSUMPTION_MINUTES = 30


@dataclass(frozen=True)
class Alert:
    """One alerting rule and what its tests need to know about it.

    Attributes:
        name: The alert's name (``alertname``).
        expr: The PromQL condition.
        for_minutes: How long the condition must hold before the alert fires (0: at once).
        severity: ``page`` or ``ticket``: Alertmanager routes by it.
        summary: One line for whoever receives it.
        runbook: The README anchor of what to do.
        source: The spec field the threshold came from.
        kind: What the expression measures (its test cases feed that series): ``errors``,
            ``shed``, ``latency``, ``traffic``, ``cost``, ``cache``, ``quality``, ``age`` or
            ``drift``.
        below: Whether it fires under its threshold (a hit ratio) rather than over it.
        labels: Labels of its own beside severity and service (the model of a per-model
            alert, so two models' alerts of one name never collide).
        metric: The counter or histogram its expression reads, where it is not the classic
            service's (a language service's ``mlopsgen_llm_*``); its tests feed that series.
        endpoint: The ``endpoint`` label the service puts on that series.
        denominator: For a ``cost`` alert, the counter its ``metric`` is divided by.
    """

    name: str
    expr: str
    for_minutes: int
    severity: str
    summary: str
    runbook: str
    source: str
    kind: str
    below: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    metric: str = ""
    endpoint: str = "predict"
    denominator: str = ""

    def rule(self, service: str) -> dict[str, Any]:
        """The rule as Prometheus reads it."""
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.for_minutes:
            rule["for"] = f"{self.for_minutes}m"
        rule["labels"] = {"severity": self.severity, "service": service, **dict(self.labels)}
        rule["annotations"] = {
            "summary": self.summary,
            "runbook": f"README.md#{self.runbook}",
            "spec": self.source,
        }
        return rule


def ratio(metric: str, service: str, part: str, window: str) -> str:
    """The share of the service's ``metric`` rate over ``window`` that matches ``part``."""
    job = f'job="{service}"'
    return f"sum(rate({metric}{{{job},{part}}}[{window}])) / sum(rate({metric}{{{job}}}[{window}]))"


def promql_number(value: float) -> str:
    """A threshold as PromQL reads it: no exponent, no trailing zeros."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text or "0"


def training_stale(freshness: TrainingFreshness) -> Alert:
    seconds = round(freshness.max_age_hours * 3600)
    return Alert(
        name="TrainingStale",
        expr=f'time() - max({PROMOTED}{{model="{freshness.model}"}}) > {seconds}',
        for_minutes=0,
        severity="ticket",
        summary=(
            f"{freshness.model}'s production version is older than the "
            f"{freshness.max_age_hours:g} h its training schedule allows: training stopped "
            "promoting"
        ),
        runbook="training-stale",
        source="training",
        kind="age",
        labels=(("model", freshness.model),),
    )
