"""A Grafana dashboard for the service, from the Plan: the SLO lines are the plan's numbers.

Panels read only the metrics the service exports (``services/metrics.py``): latency
percentiles against the p95 objective, requests by outcome, the error ratio against the
availability budget and its burn rate, sheds, batch sizes against the planned maximum, and,
where the plan has them, experiment exposures per variant and the cache hit ratio against the
planned one. A language service's dashboard shows its token latencies against the spec's
token objectives instead, with answers by outcome and finish reason and tokens per second
(the unit its GPUs were sized in). The data source is a dashboard variable, so the file
imports into any Grafana.
"""

from __future__ import annotations

from typing import Any

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.ops.alerts import (
    CACHE,
    CACHE_HIT,
    LATENCY,
    REQUESTS,
    error_ratio,
    promql_number,
    ratio,
)
from mlopsgen.targets.ops.language_alerts import (
    FINISHED,
    GENERATED_TOKENS,
    LLM_REQUESTS,
    REQUEST_SECONDS,
    TIME_PER_OUTPUT_TOKEN,
    TIME_TO_FIRST_TOKEN,
)

__all__ = ["EXPOSURES", "dashboard", "panel_queries"]

BATCH = "mlopsgen_batch_size"
SHED = "mlopsgen_shed_requests_total"
EXPOSURES = "mlopsgen_experiment_exposures_total"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH, HEIGHT = 12, 8
SCHEMA_VERSION = 39


def _target(expr: str, legend: str, ref: str) -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref}


def _panel(
    title: str,
    targets: list[tuple[str, str]],
    unit: str,
    line: float | None = None,
    description: str = "",
) -> dict[str, Any]:
    """A time series panel; ``line`` draws the plan's number as a red threshold."""
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if line is not None:
        steps.append({"color": "red", "value": line})
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line" if line is not None else "off"}},
            },
            "overrides": [],
        },
        "targets": [_target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in
                    enumerate(targets)],
    }  # fmt: skip


def _language_panels(plan: Plan) -> list[dict[str, Any]]:
    """A language service's panels: token latencies against the spec's objectives, answers by
    outcome against the peak, failures against the budget, tokens per second, finish reasons."""
    service = str(plan.serving.service_name)
    job = f'job="{service}"'
    window = "$__rate_interval"
    llm = next(m.llm for m in plan.models if m.llm is not None and m.served)

    def quantiles(bucket: str) -> list[tuple[str, str]]:
        return [
            (
                f"histogram_quantile({q}, sum by (le) (rate({bucket}{{{job}}}[{window}])))",
                f"p{round(q * 100)}",
            )
            for q in (0.5, 0.95, 0.99)
        ]

    def seconds(ms: float | None) -> float | None:
        return None if ms is None else ms / 1000

    budget = 1 - plan.availability.target_percent / 100
    failed = ratio(LLM_REQUESTS, service, 'outcome="error"', window)
    tokens = f"sum(rate({GENERATED_TOKENS}{{{job}}}[{window}]))"
    return [
        _panel(
            "Time to first token against the objective",
            quantiles(TIME_TO_FIRST_TOKEN),
            "s",
            seconds(llm.slo_ttft_p95_ms),
            "From a request's arrival to its first text; the red line is the spec's p95.",
        ),
        _panel(
            "Time per output token against the objective",
            quantiles(TIME_PER_OUTPUT_TOKEN),
            "s",
            seconds(llm.slo_tpot_p95_ms),
            "A request's mean gap between tokens after the first; the red line is the spec's p95.",
        ),
        _panel(
            "Time to the last token against the objective",
            quantiles(REQUEST_SECONDS),
            "s",
            seconds(plan.serving.latency_p95_ms),
            "A whole answer; the red line is the spec's end-to-end p95.",
        ),
        _panel(
            "Requests by outcome",
            [(f"sum by (outcome) (rate({LLM_REQUESTS}{{{job}}}[{window}]))", "{{outcome}}")],
            "reqps",
            None if plan.serving.capacity is None else plan.serving.capacity.peak_rps,
            "Answers per second by outcome (ok, invalid, error, cancelled); the red line is "
            "the planned peak.",
        ),
        _panel(
            "Failures against the budget",
            [(failed, "failed")],
            "percentunit",
            budget,
            "Failed answers over all answers; the red line is the error budget "
            "(1 - availability target).",
        ),
        _panel(
            "Generated tokens per second",
            [(tokens, "tokens/s")],
            "none",
            None,
            "Output tokens the engines generate, the unit the GPUs were sized in.",
        ),
        _panel(
            "Answers by finish reason",
            [
                (
                    f"sum by (finish_reason) (rate({FINISHED}{{{job}}}[{window}]))",
                    "{{finish_reason}}",
                )
            ],
            "reqps",
            None,
            "stop: the model ended its answer; length: it reached max_tokens.",
        ),
    ]


def _panels(plan: Plan) -> list[dict[str, Any]]:
    if plan.language_models:
        return _placed(_language_panels(plan))
    return _placed(_classic_panels(plan))


def _placed(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Numbered and laid out two to a row."""
    for index, panel in enumerate(panels):
        panel["id"] = index + 1
        panel["gridPos"] = {"h": HEIGHT, "w": WIDTH, "x": (index % 2) * WIDTH,
                            "y": (index // 2) * HEIGHT}  # fmt: skip
    return panels


def _classic_panels(plan: Plan) -> list[dict[str, Any]]:
    service = str(plan.serving.service_name)
    job = f'job="{service}"'
    window = "$__rate_interval"
    panels = []
    quantiles = [
        (
            f"histogram_quantile({q}, sum by (le) (rate({LATENCY}{{{job}}}[{window}])))",
            f"p{round(q * 100)}",
        )
        for q in (0.5, 0.95, 0.99)
    ]
    p95 = plan.serving.latency_p95_ms
    panels.append(
        _panel(
            "Latency against the objective",
            quantiles,
            "s",
            None if p95 is None else p95 / 1000,
            "Percentiles of request latency; the red line is the spec's p95 objective.",
        )
    )
    panels.append(
        _panel(
            "Requests by outcome",
            [(f"sum by (outcome) (rate({REQUESTS}{{{job}}}[{window}]))", "{{outcome}}")],
            "reqps",
            None if plan.serving.capacity is None else plan.serving.capacity.peak_rps,
            "Answers per second; the red line is the planned peak for the whole fleet.",
        )
    )
    budget = 1 - plan.availability.target_percent / 100
    errors = error_ratio(service, window)
    panels.append(
        _panel(
            "Error ratio against the budget",
            [(errors, "errors and sheds")],
            "percentunit",
            budget,
            "5xx and 503 answers over all answers; the red line is the error budget "
            "(1 - availability target). Above it, the budget burns faster than it accrues.",
        )
    )
    burn = f"({error_ratio(service, '1h')}) / {promql_number(budget)}"
    panels.append(
        _panel(
            "Error budget burn rate (1 h)",
            [(burn, "burn rate")],
            "none",
            1.0,
            "How many times faster than sustainable the budget is spent; the alerts page at "
            "the plan's burn rates.",
        )
    )
    panels.append(
        _panel(
            "Requests shed (503)",
            [(f"sum(rate({SHED}{{{job}}}[{window}]))", "shed")],
            "reqps",
            None,
            "Requests refused at the concurrency bound or past the batching deadline.",
        )
    )
    batching = plan.serving.batching
    mean_batch = (
        f"sum(rate({BATCH}_sum{{{job}}}[{window}])) / sum(rate({BATCH}_count{{{job}}}[{window}]))"
    )
    panels.append(
        _panel(
            "Rows per model call",
            [(mean_batch, "mean batch")],
            "none",
            None if not batching.enabled else float(batching.max_batch_size or 1),
            "Adaptive batching at work; the red line is the plan's maximum batch size.",
        )
    )
    if plan.serving.experiments:
        panels.append(
            _panel(
                "Experiment exposures by variant",
                [
                    (
                        f"sum by (experiment, variant) (rate({EXPOSURES}{{{job}}}[{window}]))",
                        "{{experiment}} {{variant}}",
                    )
                ],
                "reqps",
                None,
                "Requests answered by each variant; their shares should follow the split.",
            )
        )
    cache = plan.serving.cache
    if cache is not None and cache.enabled:
        hits = ratio(CACHE, service, CACHE_HIT, window)
        panels.append(
            _panel(
                "Cache hit ratio against the plan",
                [(hits, "hit ratio")],
                "percentunit",
                cache.hit_ratio,
                "Lookups answered by the prediction cache; the red line is the planned ratio.",
            )
        )
    return panels


def dashboard(plan: Plan) -> dict[str, Any]:
    """``monitoring/grafana/<service>.json``: the service's dashboard."""
    service = str(plan.serving.service_name)
    return {
        "uid": service[:40],
        "title": f"{plan.system.name} service",
        "description": f"Generated by mlopsgen {__version__}. Do not edit: change the spec and "
        "rebuild.",
        # provenance, as every generated JSON file carries it (Grafana keeps unknown keys)
        "generator_version": __version__,
        "system": {"name": plan.system.name, "spec_sha256": plan.system.spec_sha256},
        "tags": ["mlopsgen", service],
        "timezone": "utc",
        "schemaVersion": SCHEMA_VERSION,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                }
            ]
        },
        "panels": _panels(plan),
    }


def panel_queries(board: dict[str, Any]) -> list[str]:
    """Every query of every panel, in order."""
    return [target["expr"] for panel in board["panels"] for target in panel["targets"]]
