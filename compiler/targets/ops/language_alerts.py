"""Alert rules of a language stack, on the metrics its engine service exports.

A language model's service counts its answers in ``mlopsgen_llm_requests_total`` (by outcome:
ok, invalid, error, cancelled) and times each request three ways: to its first token, per
output token after the first, and to its last token (``services/metrics.py`` of the stack).
The availability SLO gets the same multi-window burn-rate alerts as a classic service, on the
share of answers that failed (an invalid request is the caller's and a cancelled one the
client's: neither spends the budget); the spec's token objectives and its end-to-end p95 each
get a latency alert on their histogram, paged or ticketed like the Plan's latency alert; the
Plan's own assumptions get tickets when they stop holding (more requests than the planned
peak, answers longer than the p95 the GPUs were sized for); and each fine-tuned model gets a
ticket when its production version grows older than its schedule allows. A language stack
logs no feature rows, so it has no drift or feature-freshness alert.
"""

from __future__ import annotations

from dataclasses import replace

from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.ir.ops import BurnRateAlert, LatencyAlert
from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.ops.rule import (
    ASSUMPTION_MINUTES,
    RATE_WINDOW,
    Alert,
    promql_number,
    ratio,
    training_stale,
)

__all__ = [
    "BUCKETS",
    "FINISHED",
    "GENERATED_TOKENS",
    "LLM_REQUESTS",
    "REQUEST_SECONDS",
    "TIME_PER_OUTPUT_TOKEN",
    "TIME_TO_FIRST_TOKEN",
    "language_alerts",
]

LLM_REQUESTS = "mlopsgen_llm_requests_total"
TIME_TO_FIRST_TOKEN = "mlopsgen_llm_time_to_first_token_seconds_bucket"
TIME_PER_OUTPUT_TOKEN = "mlopsgen_llm_time_per_output_token_seconds_bucket"
REQUEST_SECONDS = "mlopsgen_llm_request_seconds_bucket"
GENERATED_TOKENS = "mlopsgen_llm_generated_tokens_total"
FINISHED = "mlopsgen_llm_finished_total"
#: The service's histogram buckets, in seconds (``services/metrics.py`` of a language stack):
#: the alert tests put every observation in the bucket just above or at an objective.
BUCKETS = {
    TIME_TO_FIRST_TOKEN: (
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
        10.0, 20.0, 40.0, 60.0,
    ),
    TIME_PER_OUTPUT_TOKEN: (
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
        1.0, 2.5,
    ),
    REQUEST_SECONDS: (
        0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    ),
}  # fmt: skip
#: Outcomes that spend the availability budget: the service's own failures.
FAILED = 'outcome="error"'
#: Latency alerts when the Plan has none (a batch-only stack has no end-to-end objective).
DEFAULT_FOR_MINUTES = 5


def _burn_rate(service: str, target: float, alert: BurnRateAlert) -> Alert:
    threshold = promql_number(alert.error_rate_threshold)
    long_ratio = ratio(LLM_REQUESTS, service, FAILED, alert.long_window)
    short_ratio = ratio(LLM_REQUESTS, service, FAILED, alert.short_window)
    return Alert(
        name=f"ErrorBudgetBurn{alert.long_window.capitalize()}",
        expr=f"({long_ratio}) > {threshold} and ({short_ratio}) > {threshold}",
        for_minutes=0,
        severity=alert.severity,
        summary=(
            f"{service} burns its {target:g} % availability budget at {alert.burn_rate:g}x "
            f"the sustainable rate: {alert.budget_consumed_percent:g} % of the month's budget "
            f"in {alert.long_window}"
        ),
        runbook="engine-error-budget-burn",
        source="slo.availability",
        kind="errors",
        metric=LLM_REQUESTS,
        endpoint="/v1/chat/completions",
    )


def _quantile(service: str, bucket: str, quantile: float) -> str:
    return (
        f"histogram_quantile({promql_number(quantile)}, sum by (le) "
        f'(rate({bucket}{{job="{service}"}}[{RATE_WINDOW}])))'
    )


def _token_latency(
    service: str,
    name: str,
    bucket: str,
    threshold_ms: float,
    what: str,
    source: str,
    latency: LatencyAlert | None,
) -> Alert:
    quantile = latency.quantile if latency is not None else 0.95
    return Alert(
        name=name,
        expr=f"{_quantile(service, bucket, quantile)} > {promql_number(threshold_ms / 1000)}",
        for_minutes=latency.for_minutes if latency is not None else DEFAULT_FOR_MINUTES,
        severity=latency.severity if latency is not None else "ticket",
        summary=(
            f"{service}'s p{quantile * 100:g} {what} is above the {threshold_ms:g} ms objective"
        ),
        runbook="token-latency-above-objective",
        source=source,
        kind="latency",
        metric=bucket,
        endpoint="/v1/chat/completions",
    )


def _traffic(service: str, peak_rps: float) -> Alert:
    rate = f'sum(rate({LLM_REQUESTS}{{job="{service}"}}[{RATE_WINDOW}]))'
    return Alert(
        name="TrafficAbovePlan",
        expr=f"{rate} > {promql_number(peak_rps)}",
        for_minutes=ASSUMPTION_MINUTES,
        severity="ticket",
        summary=(
            f"{service} receives more than the planned peak of {peak_rps:g} requests/s: its "
            "GPUs and engine batch were sized for less"
        ),
        runbook="engine-traffic-above-plan",
        source="slo.throughput",
        kind="traffic",
        metric=LLM_REQUESTS,
        endpoint="/v1/chat/completions",
    )


def _answer_length(service: str, model: str, index: int, llm: LlmPlan) -> Alert:
    """Mean generated tokens per finished answer above the p95 the GPUs were sized by."""
    tokens = f'sum(rate({GENERATED_TOKENS}{{job="{service}"}}[30m]))'
    answers = f'sum(rate({FINISHED}{{job="{service}"}}[30m]))'
    return Alert(
        name="AnswersLongerThanPlan",
        expr=f"({tokens} / {answers}) > {promql_number(llm.output_tokens_p95)}",
        for_minutes=ASSUMPTION_MINUTES,
        severity="ticket",
        summary=(
            f"{model}'s answers average more than the {llm.output_tokens_p95} output tokens its "
            "p95 was planned at: each holds a sequence slot longer than the GPUs were sized for"
        ),
        runbook="answers-longer-than-plan",
        source=f"models[{index}].llm.output_tokens",
        kind="cost",
        metric=GENERATED_TOKENS,
        denominator=FINISHED,
        labels=(("model", model),),
    )


def language_alerts(plan: Plan) -> list[Alert]:
    """Burn rates (fastest first), the token and end-to-end objectives, the planning
    assumptions, then each model's training freshness."""
    if not plan.serving.realtime:
        return []
    service = str(plan.serving.service_name)
    found = [
        _burn_rate(service, plan.availability.target_percent, alert)
        for alert in plan.availability.burn_rate_alerts
    ]
    latency = plan.monitoring.latency_alert
    served = [(i, m) for i, m in enumerate(plan.models) if m.llm is not None and m.served]
    for index, model in served:
        assert model.llm is not None
        if model.llm.slo_ttft_p95_ms is not None:
            found.append(
                _token_latency(
                    service,
                    "TimeToFirstTokenAboveObjective",
                    TIME_TO_FIRST_TOKEN,
                    model.llm.slo_ttft_p95_ms,
                    "time to first token",
                    f"models[{index}].llm.slo.time_to_first_token_p95_ms",
                    latency,
                )
            )
        if model.llm.slo_tpot_p95_ms is not None:
            found.append(
                _token_latency(
                    service,
                    "TimePerOutputTokenAboveObjective",
                    TIME_PER_OUTPUT_TOKEN,
                    model.llm.slo_tpot_p95_ms,
                    "time per output token",
                    f"models[{index}].llm.slo.time_per_output_token_p95_ms",
                    latency,
                )
            )
    if latency is not None:
        alert = _token_latency(
            service,
            "LatencyAboveObjective",
            REQUEST_SECONDS,
            latency.threshold_ms,
            "time to the last token",
            "slo.latency_p95_ms",
            latency,
        )
        found.append(replace(alert, runbook="answer-latency-above-objective"))
    if plan.serving.capacity is not None:
        found.append(_traffic(service, plan.serving.capacity.peak_rps))
    for index, model in served:
        assert model.llm is not None
        if model.llm.generative:
            found.append(_answer_length(service, model.name, index, model.llm))
    found += [training_stale(item) for item in plan.monitoring.training_freshness]
    return found
