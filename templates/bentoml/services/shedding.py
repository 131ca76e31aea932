"""ASGI middleware that sheds load: 503 once a worker holds its share of in-flight requests.

The plan sizes each replica for ``max_concurrency`` requests at once, spread over its
workers; a worker above ``ceil(max_concurrency / workers)`` would only queue, and queued
requests miss the latency SLO anyway, so it answers 503 at once and a client or load
balancer retries elsewhere. (BentoML's own ``traffic.max_concurrency`` answers 429 and is not
counted in our metrics, so the service leaves it unset and sheds here.) The middleware also
records every request's latency and outcome, since validation errors never reach the API,
and counts as shed the 503s of BentoML's adaptive batching, which drops queued requests that
would miss the batch latency.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from services import metrics

__all__ = ["SheddingMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths that are never shed nor counted: probes and the metrics scrape.
UNCOUNTED = frozenset({"/livez", "/readyz", "/healthz", "/metrics", "/docs.json", "/"})


class SheddingMiddleware:
    """Bounds a worker's in-flight API requests at ``limit``; counts and times each one."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the in-flight bound must be at least 1, not {limit}")
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path in UNCOUNTED or path.startswith("/docs"):
            await self.app(scope, receive, send)
            return
        endpoint = path.strip("/") or "root"
        started = time.perf_counter()
        if self.in_flight >= self.limit:
            metrics.SHED_REQUESTS.inc()
            await _refuse(send, self.limit)
            _record(endpoint, 503, started)
            return
        status = 500
        self.in_flight += 1

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.in_flight -= 1
            if status == 503:  # BentoML's batching dispatcher sheds what it cannot serve in time
                metrics.SHED_REQUESTS.inc()
            _record(endpoint, status, started)


def _record(endpoint: str, status: int, started: float) -> None:
    metrics.REQUESTS.labels(endpoint=endpoint, outcome=metrics.outcome_of(status)).inc()
    metrics.REQUEST_LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": f"over capacity: this worker already serves {limit} requests; retry"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
