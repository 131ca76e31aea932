"""The language service's Prometheus metrics, served on BentoML's own metrics route.

``mlopsgen_llm_time_to_first_token_seconds`` (histogram by ``endpoint``: request received to
first text sent), ``mlopsgen_llm_time_per_output_token_seconds`` (histogram by ``endpoint``:
a request's mean gap between generated tokens after the first),
``mlopsgen_llm_request_seconds`` (histogram by ``endpoint``: request to last token),
``mlopsgen_llm_generated_tokens_total`` and ``mlopsgen_llm_prompt_tokens_total`` (counters by
``endpoint``), ``mlopsgen_llm_requests_total`` (by ``endpoint`` and ``outcome``: ok, invalid,
error, cancelled) and ``mlopsgen_llm_finished_total`` (by ``endpoint`` and ``finish_reason``:
stop, length), and the gauge ``mlopsgen_llm_requests_running`` (by ``endpoint``: requests in
the engine now, decoding or waiting for a decoding slot; the cluster's autoscaler scales the
engine's pods on it, summed per pod). Created through ``bentoml.metrics`` so BentoML's
multi-process ``/metrics`` collects every worker's values (the gauge sums the live workers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import bentoml

__all__ = [
    "FINISHED",
    "GENERATED_TOKENS",
    "OUTCOMES",
    "PROMPT_TOKENS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "RUNNING",
    "TIME_PER_OUTPUT_TOKEN",
    "TIME_TO_FIRST_TOKEN",
    "running",
]

OUTCOMES = ("ok", "invalid", "error", "cancelled")
#: From 1 ms (a GPU's first token for a short prompt) to 60 s (a long prompt queued on CPU).
TTFT_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    60.0,
)
#: A token every 1 ms (small model, GPU) to every 2.5 s (large model, CPU).
TPOT_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.75,
    1.0,
    2.5,
)
REQUEST_BUCKETS = (
    0.01,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    20.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
)

TIME_TO_FIRST_TOKEN = bentoml.metrics.Histogram(
    name="mlopsgen_llm_time_to_first_token_seconds",
    documentation="Time from request received to the first generated text sent, by endpoint.",
    labelnames=["endpoint"],
    buckets=TTFT_BUCKETS,
)
TIME_PER_OUTPUT_TOKEN = bentoml.metrics.Histogram(
    name="mlopsgen_llm_time_per_output_token_seconds",
    documentation="A request's mean time per generated token after the first, by endpoint.",
    labelnames=["endpoint"],
    buckets=TPOT_BUCKETS,
)
REQUEST_SECONDS = bentoml.metrics.Histogram(
    name="mlopsgen_llm_request_seconds",
    documentation="Time from request received to its last generated token, by endpoint.",
    labelnames=["endpoint"],
    buckets=REQUEST_BUCKETS,
)
GENERATED_TOKENS = bentoml.metrics.Counter(
    name="mlopsgen_llm_generated_tokens_total",
    documentation="Tokens generated, by endpoint.",
    labelnames=["endpoint"],
)
PROMPT_TOKENS = bentoml.metrics.Counter(
    name="mlopsgen_llm_prompt_tokens_total",
    documentation="Prompt tokens of the requests generated for, by endpoint.",
    labelnames=["endpoint"],
)
REQUESTS = bentoml.metrics.Counter(
    name="mlopsgen_llm_requests_total",
    documentation="Requests answered, by endpoint and outcome (ok, invalid, error, cancelled).",
    labelnames=["endpoint", "outcome"],
)
FINISHED = bentoml.metrics.Counter(
    name="mlopsgen_llm_finished_total",
    documentation="Generations finished, by endpoint and finish reason (stop, length).",
    labelnames=["endpoint", "finish_reason"],
)
RUNNING = bentoml.metrics.Gauge(
    name="mlopsgen_llm_requests_running",
    documentation="Requests in the engine now (decoding or waiting for a slot), by endpoint.",
    labelnames=["endpoint"],
    multiprocess_mode="livesum",
)


@contextmanager
def running(endpoint: str) -> Iterator[None]:
    """Count a request in :data:`RUNNING` while its generation runs (until it ends or fails)."""
    gauge = RUNNING.labels(endpoint=endpoint)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()
