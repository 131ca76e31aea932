"""``promtool test rules`` cases for every alert: it fires when it should, and only then.

Each alert gets two cases built from its own threshold, on synthetic series shaped like the
service's metrics: one where the signal sits at twice the threshold for longer than the
alert's windows and ``for`` (it must fire, with its labels and annotations), and one at half
the threshold (it must stay silent). Counters grow by a fixed amount per minute, so a ratio
is exact; latency is a histogram whose observations all fall in one bucket, above the
objective or at most at it. Gauges written by the pipelines (quality, drift) hold their value
throughout; a drift alert fires per model, so its firing case expects the model's label.
"""

from __future__ import annotations

import re
from math import inf
from typing import Any

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.ops.alerts import (
    CACHE,
    DRIFT,
    LATENCY,
    QUALITY,
    REQUESTS,
    SCORED,
    SCORING,
    Alert,
    alerts,
    promql_number,
)
from mlopsgen.targets.ops.language_alerts import BUCKETS

__all__ = ["LATENCY_BUCKETS", "RULES_FILE", "alert_tests", "minutes"]

#: The service's latency histogram buckets (``services/metrics.py``), in seconds.
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 600.0, 1200.0,
)  # fmt: skip
RULES_FILE = "alerts.yml"
#: Requests per sample in the synthetic series: enough that the smallest ratio is a count.
PER_MINUTE = 1_000_000
#: Minutes between samples for alerts whose windows are all an hour or longer.
LONG_STEP = 5
#: Minutes between rule evaluations: no alert's ``for`` or shortest window is shorter.
EVALUATION = 5
_UNITS = {"m": 1, "h": 60, "d": 1440}
_WINDOW = re.compile(r"(\d+)([mhd])")
_THRESHOLD = re.compile(r"[<>] ([0-9.]+)(?: and|$)")
#: The model a drift case's series belongs to: the rules hold for any model.
DRIFT_MODEL = "any_model"


def minutes(window: str) -> int:
    """``5m``, ``6h``, ``3d`` in minutes."""
    found = _WINDOW.fullmatch(window)
    if found is None:
        raise ValueError(f"not a window: {window!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def _threshold(alert: Alert) -> float:
    return float(_THRESHOLD.findall(alert.expr)[0])


def _windows(alert: Alert) -> list[int]:
    """The ranges the alert's expression reads, in minutes (a gauge's: none, so 0)."""
    return [minutes(w) for w in re.findall(r"\[(\d+[mhd])\]", alert.expr)] or [0]


def _step(alert: Alert) -> int:
    """Minutes between samples: 1, or 5 when every range holds an hour or more (a 3-day
    window at one sample a minute only makes the test slow) or the alert is on an age."""
    return LONG_STEP if alert.kind == "age" or min(_windows(alert)) >= 60 else 1


def _counter(
    labels: dict[str, str], per_minute: float, length: int, metric: str = REQUESTS
) -> dict[str, str]:
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {
        "series": f"{metric}{{{selector}}}",
        "values": f"0+{promql_number(per_minute)}x{length}",
    }


def _split(
    metric: str,
    labels: dict[str, str],
    key: str,
    values: tuple[str, str],
    share: float,
    length: int,
) -> list[dict[str, str]]:
    """PER_MINUTE events a minute: ``share`` of them labelled ``key=values[1]``, the rest
    ``key=values[0]``."""
    part = PER_MINUTE * share
    rest, chosen = values
    return [
        _counter({**labels, key: rest}, PER_MINUTE - part, length, metric),
        _counter({**labels, key: chosen}, part, length, metric),
    ]  # fmt: skip


def _requests(
    alert: Alert, job: str, outcome: str, ratio: float, length: int
) -> list[dict[str, str]]:
    """Answers, ``ratio`` of them with ``outcome``, the rest ok."""
    labels = {"job": job, "endpoint": alert.endpoint}
    metric = alert.metric or REQUESTS
    return _split(metric, labels, "outcome", ("ok", outcome), ratio, length)


def _latency(
    alert: Alert, job: str, seconds_above: bool, threshold: float, length: int
) -> list[dict[str, str]]:
    """Every observation in the bucket just above the threshold, or the one ending at it."""
    metric = alert.metric or LATENCY
    bounds = list(BUCKETS.get(metric, LATENCY_BUCKETS))
    if seconds_above:
        upper = next(b for b in bounds if b > threshold)
    else:
        upper = max(b for b in bounds if b <= threshold)
    return [
        _counter(
            {
                "job": job,
                "endpoint": alert.endpoint,
                "le": "+Inf" if bound == inf else f"{bound:g}",
            },
            PER_MINUTE if bound >= upper else 0,
            length,
            metric,
        )
        for bound in [*bounds, inf]
    ]


def _traffic(alert: Alert, job: str, per_second: float, length: int) -> list[dict[str, str]]:
    labels = {"job": job, "endpoint": alert.endpoint, "outcome": "ok"}
    return [_counter(labels, per_second * 60, length, alert.metric or REQUESTS)]


def _cost(alert: Alert, job: str, per_unit: float, length: int) -> list[dict[str, str]]:
    """Units (rows scored, answers finished), each costing ``per_unit`` (worker seconds,
    generated tokens)."""
    return [
        _counter({"job": job}, PER_MINUTE, length, alert.denominator or SCORED),
        _counter({"job": job}, PER_MINUTE * per_unit, length, alert.metric or SCORING),
    ]


def _cache(job: str, hit_ratio: float, length: int) -> list[dict[str, str]]:
    """Cache lookups, ``hit_ratio`` of them hits."""
    return _split(CACHE, {"job": job}, "result", ("miss", "hit"), hit_ratio, length)


def _quality(alert: Alert, value: float, length: int) -> list[dict[str, str]]:
    """The gauge outcome ingestion writes, at ``value`` throughout."""
    selector = re.search(r"\{[^}]*\}", alert.expr)
    assert selector is not None
    return [
        {"series": f"{QUALITY}{selector.group(0)}", "values": f"{promql_number(value)}x{length}"}
    ]


def _age(alert: Alert, age_seconds: float, evaluated_at: int) -> list[dict[str, str]]:
    """A timestamp gauge whose value is ``age_seconds`` old at the evaluation (promtool's
    clock starts at 0, so the value is the evaluation's second minus the age)."""
    selector = re.search(r"\{[^}]*\}", alert.expr)
    assert selector is not None
    value = promql_number(evaluated_at * 60 - age_seconds)
    metric = re.search(r"(mlopsgen_[a-z_]+)\{", alert.expr)
    assert metric is not None
    series = f"{metric.group(1)}{selector.group(0)}"
    return [{"series": series, "values": f"{value}x{evaluated_at // LONG_STEP + 1}"}]


def _drift(alert: Alert, value: float, length: int) -> list[dict[str, str]]:
    """The drift check's score of one model, at ``value`` throughout."""
    selector = re.search(r"\{([^}]*)\}", alert.expr)
    assert selector is not None
    labels = f'{{model="{DRIFT_MODEL}",{selector.group(1)}}}'
    return [{"series": f"{DRIFT}{labels}", "values": f"{promql_number(value)}x{length}"}]


def _series(alert: Alert, job: str, fires: bool, length: int) -> list[dict[str, str]]:
    """The alert's signal at twice its threshold, or half it (the other way for ``below``)."""
    threshold = _threshold(alert)
    factor = 2.0 if fires != alert.below else 0.5
    if alert.kind == "latency":
        return _latency(alert, job, factor > 1, threshold, length)
    if alert.kind == "traffic":
        return _traffic(alert, job, threshold * factor, length)
    if alert.kind == "cost":
        return _cost(alert, job, threshold * factor, length)
    if alert.kind == "quality":
        return _quality(alert, threshold * factor, length)
    if alert.kind == "age":
        return _age(alert, threshold * factor, (length - 1) * _step(alert))
    if alert.kind == "drift":
        return _drift(alert, threshold * factor, length)
    if alert.kind == "cache":
        # above the plan: halfway between it and every lookup hitting
        return _cache(job, threshold * factor if factor < 1 else (1 + threshold) / 2, length)
    outcome = "error" if alert.kind == "errors" else alert.kind
    return _requests(alert, job, outcome, min(threshold * factor, 1.0), length)


def _case(alert: Alert, job: str, fires: bool) -> dict[str, Any]:
    step = _step(alert)
    wait = max(_windows(alert)) + alert.for_minutes + 2 * step + EVALUATION
    if alert.kind == "age":
        # late enough that the older of the two timestamps is still after promtool's zero
        wait = round(2 * _threshold(alert) / 60) + 2 * step + EVALUATION
    settle = -(-wait // EVALUATION) * EVALUATION  # on an evaluation, the next one up
    expected: list[dict[str, Any]] = []
    if fires:
        rule = alert.rule(job)
        labels = rule["labels"]
        if alert.kind == "drift":
            labels = {**labels, "model": DRIFT_MODEL}
        expected = [{"exp_labels": labels, "exp_annotations": rule["annotations"]}]
    return {
        "name": f"{alert.name} {'fires' if fires else 'stays silent'}",
        "interval": f"{step}m",
        "input_series": _series(alert, job, fires, settle // step + 1),
        "alert_rule_test": [
            {"eval_time": f"{settle}m", "alertname": alert.name, "exp_alerts": expected}
        ],
    }


def alert_tests(plan: Plan) -> dict[str, Any]:
    """``monitoring/prometheus/alerts_test.yml``: a firing and a silent case per alert."""
    job = str(plan.serving.service_name)
    cases = []
    for alert in alerts(plan):
        cases += [_case(alert, job, fires=True), _case(alert, job, fires=False)]
    return {"rule_files": [RULES_FILE], "evaluation_interval": f"{EVALUATION}m", "tests": cases}
