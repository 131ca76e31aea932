"""Requests to the local service: the sample predictions and a sequential latency check.

Standard library HTTP only (one kept-alive connection), so the compiler needs no HTTP client
of its own. The latency check sends requests one after another, each waiting for the last: it
measures the time one request takes on this machine (client and server share its cores), not
the throughput of a replica, which is what the stack's ``services.loadtest`` is for.
"""

from __future__ import annotations

import http.client
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlopsgen.up.stack import UpError

__all__ = ["Client", "Latency", "ProbeError", "measure", "percentile"]

PREDICT_PATH = "/predict"
TIMEOUT_SECONDS = 30.0


class ProbeError(UpError):
    """The service answered a sample request with an error, or not at all (exit code 4)."""


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q <= 100) by nearest rank: a value that was measured.

    Raises:
        ValueError: no values, or ``q`` out of range.
    """
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is not in (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Latency:
    """Sequential request latencies, in milliseconds."""

    count: int
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """The summary of measured durations in seconds."""
        ms = [s * 1000.0 for s in seconds]
        return cls(len(ms), percentile(ms, 50), percentile(ms, 95))

    def meets(self, slo_ms: float | None) -> bool | None:
        """Whether the p95 is within the objective (None without one)."""
        return None if slo_ms is None else self.p95_ms <= slo_ms


class Client:
    """One kept-alive HTTP connection to the service on the loopback interface."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = TIMEOUT_SECONDS):
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def predict(self, body: Mapping[str, Any]) -> list[Any]:
        """The service's answer to one ``POST /predict``.

        Raises:
            ProbeError: no answer, a status other than 200, or an answer that is not a list of
                one object per row.
        """
        payload = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        try:
            self._connection.request("POST", PREDICT_PATH, payload, headers)
            response = self._connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()
            raise ProbeError(
                f"POST {PREDICT_PATH} got no answer: {exc}", "the server log says why"
            ) from None
        if response.status != 200:
            raise ProbeError(
                f"POST {PREDICT_PATH} answered {response.status}: {text[:300]}",
                "the sample request follows the Plan's request fields; the server log says more",
            )
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        rows = body.get("rows")
        if not isinstance(answer, list) or not isinstance(rows, list) or len(answer) != len(rows):
            raise ProbeError(
                f"POST {PREDICT_PATH} answered {text[:300]!r}, not one object per row",
                "the service must answer a JSON list, one object per request row",
            )
        return answer

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def measure(client: Client, bodies: Sequence[Mapping[str, Any]], requests: int) -> Latency:
    """Send ``requests`` requests one after another, cycling through ``bodies``.

    Raises:
        ProbeError: a request failed (the check stops at the first).
        ValueError: no bodies or no requests.
    """
    if not bodies or requests < 1:
        raise ValueError("measuring needs at least one body and one request")
    durations = []
    for index in range(requests):
        started = time.perf_counter()
        client.predict(bodies[index % len(bodies)])
        durations.append(time.perf_counter() - started)
    return Latency.of(durations)
