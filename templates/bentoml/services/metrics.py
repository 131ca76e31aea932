"""The service's Prometheus metrics, served on BentoML's ``/metrics``.

Names are fixed (dashboards and alerts of the monitoring files query them):
``mlopsgen_request_latency_seconds`` (histogram by ``endpoint``), ``mlopsgen_requests_total``
(by ``endpoint`` and ``outcome``: ok, invalid, error, shed), ``mlopsgen_batch_size``,
``mlopsgen_shed_requests_total``, ``mlopsgen_experiment_exposures_total`` (by
``experiment`` and ``variant``), ``mlopsgen_cache_requests_total`` (by ``result``: hit,
miss), and for a rollout ``mlopsgen_rollout_rows_total`` (by ``model``, ``version``, ``arm``:
canary or stable, and ``outcome``: ok or error) with ``mlopsgen_rollout_model_seconds`` (the model's
scoring time per batch, by ``model`` and ``arm``), so a canary is judged on its own rows. They are ``prometheus_client`` metrics created through
``bentoml.metrics``, which registers them where BentoML's multi-process ``/metrics`` reads
them (every worker is a process of its own).
"""

from __future__ import annotations

import bentoml

__all__ = [
    "BATCH_SIZE",
    "CACHE_REQUESTS",
    "EXPERIMENT_EXPOSURES",
    "OUTCOMES",
    "REQUESTS",
    "REQUEST_LATENCY",
    "ROLLOUT_ROWS",
    "ROLLOUT_SECONDS",
    "SCORED_ROWS",
    "SCORING_SECONDS",
    "SHED_REQUESTS",
    "outcome_of",
]

#: The ``outcome`` label's values.
OUTCOMES = ("ok", "invalid", "error", "shed")
#: Latency buckets from 1 ms to 20 min: tight around the tens of milliseconds most SLOs live
#: at, and above the longest p95 objective a spec may state (600 s), so every one can alert.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1200.0,
)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

REQUEST_LATENCY = bentoml.metrics.Histogram(
    name="mlopsgen_request_latency_seconds",
    documentation="Time from request received to response sent, by endpoint.",
    labelnames=["endpoint"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = bentoml.metrics.Counter(
    name="mlopsgen_requests_total",
    documentation="Requests answered, by endpoint and outcome (ok, invalid, error, shed).",
    labelnames=["endpoint", "outcome"],
)
BATCH_SIZE = bentoml.metrics.Histogram(
    name="mlopsgen_batch_size",
    documentation="Rows scored per model call.",
    buckets=BATCH_BUCKETS,
)
SHED_REQUESTS = bentoml.metrics.Counter(
    name="mlopsgen_shed_requests_total",
    documentation="Requests refused with 503 because the worker was at its concurrency bound.",
)
EXPERIMENT_EXPOSURES = bentoml.metrics.Counter(
    name="mlopsgen_experiment_exposures_total",
    documentation="Requests answered by an experiment's variant.",
    labelnames=["experiment", "variant"],
)
SCORING_SECONDS = bentoml.metrics.Histogram(
    name="mlopsgen_scoring_seconds",
    documentation="Worker time one scoring call took (cache, features, models, rules).",
    buckets=LATENCY_BUCKETS,
)
SCORED_ROWS = bentoml.metrics.Counter(
    name="mlopsgen_scored_rows_total",
    documentation="Rows the scoring calls answered: with the scoring time, the cost of a row.",
)
CACHE_REQUESTS = bentoml.metrics.Counter(
    name="mlopsgen_cache_requests_total",
    documentation="Rows looked up in the prediction cache, by result (hit, miss).",
    labelnames=["result"],
)

ROLLOUT_ROWS = bentoml.metrics.Counter(
    name="mlopsgen_rollout_rows_total",
    documentation="Rows of a model under rollout, by version, arm (canary, stable) and outcome.",
    labelnames=["model", "version", "arm", "outcome"],
)
ROLLOUT_SECONDS = bentoml.metrics.Histogram(
    name="mlopsgen_rollout_model_seconds",
    documentation="Time a model under rollout took to score a batch, by arm (canary, stable).",
    labelnames=["model", "arm"],
    buckets=LATENCY_BUCKETS,
)


def outcome_of(status: int) -> str:
    """The ``outcome`` label of an HTTP status: 503 shed, 4xx invalid, 5xx error, else ok."""
    if status == 503:
        return "shed"
    if 400 <= status < 500:
        return "invalid"
    if status >= 500:
        return "error"
    return "ok"
