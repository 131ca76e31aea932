"""A bounded, open-loop load test of the local service: ``python -m services.loadtest``.

``python -m services.loadtest --url http://127.0.0.1:PORT [--duration S] [--requests N]
[--rate R] [--seed S] [--timeout S] [--json]``

Requests go out on a fixed schedule at ``--rate`` per second (by default the Plan's
per-replica rate, ``serving.capacity.per_replica_rps``: what one replica is sized to take),
whether or not earlier ones have answered: an open loop, so a slow server sees the load pile
up as it would in production instead of the client politely waiting. Each latency is counted
from the moment its request was due, so a client that falls behind does not hide the delay.
The test stops sending after ``--duration`` seconds or ``--requests`` requests, whichever
comes first, within hard caps, then waits at most ``--timeout`` for the answers in flight; it
only ever targets the loopback interface: it is a check of this
machine's service, never a tool to load someone else's.

The bodies come from :mod:`services.samples`. The report gives the requests sent, how many
answered 2xx (ok), 503 (shed by the concurrency bound) or anything else (error), p50/p95/p99
of the ok answers, the achieved rate, and p95 against the Plan's objective
(``serving.latency_p95_ms``). Client and server share this machine's cores, so both the rate
and the latencies are lower bounds on what a replica on its own node does. Exit codes: 0
passed, 1 p95 above the objective or any error, 2 bad arguments; a plan with no realtime
serving has nothing to test and exits 0 saying so.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_DURATION_S",
    "MAX_DURATION_S",
    "MAX_IN_FLIGHT",
    "MAX_REQUESTS",
    "Limits",
    "Report",
    "Result",
    "limits",
    "loopback_url",
    "main",
    "percentile",
    "plan_targets",
    "summarise",
]

DEFAULT_DURATION_S = 10.0
#: Hard caps: a load test on a developer's machine is short and finite whatever it is asked.
MAX_DURATION_S = 300.0
MAX_REQUESTS = 100_000
#: Requests waiting for an answer at once; a request due while this many wait is skipped
#: (counted, not sent), so a stalled server cannot make the client grow without bound.
MAX_IN_FLIGHT = 256
#: Distinct bodies cycled through (one row each).
BODIES = 64
DEFAULT_TIMEOUT_S = 10.0
SHED_STATUS = 503
PREDICT_PATH = "/predict"


def loopback_url(url: str) -> str:
    """``url`` without a trailing slash, if it is http(s) on a loopback address.

    Raises:
        ValueError: another scheme, no host, or a host that is not loopback.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"{host} is not a loopback address: the load test only targets this machine "
                "(127.0.0.1, ::1 or localhost)"
            )
    return url.rstrip("/")


def plan_targets(plan: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The Plan's per-replica rate (None when nothing is served in real time) and p95 objective."""
    serving = plan.get("serving") or {}
    capacity = serving.get("capacity") or {}
    rate = capacity.get("per_replica_rps") if serving.get("realtime") else None
    slo = serving.get("latency_p95_ms")
    return (
        float(rate) if isinstance(rate, int | float) and rate > 0 else None,
        float(slo) if isinstance(slo, int | float) else None,
    )


@dataclass(frozen=True)
class Limits:
    """How hard and how long: requests per second, the time bound and the count bound."""

    rate: float
    duration_s: float
    requests: int


def limits(
    rate: float | None, duration_s: float | None, requests: int | None, plan_rate: float | None
) -> Limits | None:
    """The test's bounds from the arguments and the Plan (None: no rate, nothing to test).

    Without ``--duration``, a ``--requests`` count sets the duration it takes at the rate;
    without either, the test runs :data:`DEFAULT_DURATION_S`. Both stay within the caps.

    Raises:
        ValueError: a rate, duration or count that is not positive.
    """
    for name, value in (("rate", rate), ("duration", duration_s), ("requests", requests)):
        if value is not None and not value > 0:
            raise ValueError(f"--{name} must be positive, not {value}")
    chosen = rate if rate is not None else plan_rate
    if chosen is None:
        return None
    if duration_s is None:
        duration_s = requests / chosen if requests is not None else DEFAULT_DURATION_S
    duration_s = min(duration_s, MAX_DURATION_S)
    most = max(1, math.ceil(chosen * duration_s))
    count = min(requests if requests is not None else most, most, MAX_REQUESTS)
    return Limits(rate=chosen, duration_s=duration_s, requests=count)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile by nearest rank (a value that was measured); None if empty."""
    if not values:
        return None
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is not in (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Result:
    """One request: ``ok``, ``shed`` or ``error``, and seconds from when it was due."""

    outcome: str
    seconds: float


@dataclass(frozen=True)
class Report:
    """What the test measured, beside what the Plan asks."""

    url: str
    target_rps: float
    duration_s: float
    sent: int
    ok: int
    shed: int
    error: int
    skipped: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    achieved_rps: float
    slo_p95_ms: float | None

    @property
    def slo_met(self) -> bool | None:
        """Whether p95 is within the objective (None: no objective, or no ok answer)."""
        if self.slo_p95_ms is None or self.p95_ms is None:
            return None
        return self.p95_ms <= self.slo_p95_ms

    @property
    def passed(self) -> bool:
        """No error, some answer, and p95 within the objective when there is one."""
        return self.error == 0 and self.ok > 0 and self.slo_met is not False

    def to_json(self) -> str:
        """The report as one JSON object."""
        return json.dumps({**asdict(self), "slo_met": self.slo_met, "passed": self.passed})

    def text(self) -> str:
        """The report for people."""

        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} ms"

        verdict = {True: "within", False: "ABOVE", None: "no comparison with"}[self.slo_met]
        lines = [
            (
                f"load test of {self.url}{PREDICT_PATH}: {self.sent} requests in "
                f"{self.duration_s:.1f} s, open loop at {self.target_rps:g} rps"
            ),
            f"  ok {self.ok}, shed {self.shed} (503), error {self.error}"
            + (
                f", skipped {self.skipped} (client at {MAX_IN_FLIGHT} in flight)"
                if self.skipped
                else ""
            ),
            f"  latency p50 {ms(self.p50_ms)}, p95 {ms(self.p95_ms)}, p99 {ms(self.p99_ms)}",
            f"  achieved {self.achieved_rps:.1f} rps of {self.target_rps:g} planned per replica",
            f"  p95 {ms(self.p95_ms)} is {verdict} the objective {ms(self.slo_p95_ms)}",
            "  (client and server share this machine: rate and latency are lower bounds)",
            "passed" if self.passed else "FAILED",
        ]
        return "\n".join(lines)


def summarise(
    url: str,
    bounds: Limits,
    results: Sequence[Result],
    skipped: int,
    elapsed_s: float,
    slo_p95_ms: float | None,
) -> Report:
    """The report of a finished test."""
    ok_ms = [r.seconds * 1000.0 for r in results if r.outcome == "ok"]
    answered = sum(r.outcome != "error" for r in results)
    return Report(
        url=url,
        target_rps=bounds.rate,
        duration_s=elapsed_s,
        sent=len(results),
        ok=len(ok_ms),
        shed=sum(r.outcome == "shed" for r in results),
        error=sum(r.outcome == "error" for r in results),
        skipped=skipped,
        p50_ms=percentile(ok_ms, 50),
        p95_ms=percentile(ok_ms, 95),
        p99_ms=percentile(ok_ms, 99),
        achieved_rps=answered / elapsed_s if elapsed_s > 0 else 0.0,
        slo_p95_ms=slo_p95_ms,
    )


async def _one(client: Any, body: Mapping[str, Any], due: float) -> Result:
    import httpx

    try:
        response = await client.post(PREDICT_PATH, json=body)
    except httpx.HTTPError:
        return Result("error", time.perf_counter() - due)
    seconds = time.perf_counter() - due
    if response.status_code == SHED_STATUS:
        return Result("shed", seconds)
    return Result("ok" if 200 <= response.status_code < 300 else "error", seconds)


async def _drive(
    url: str, bodies: Sequence[Mapping[str, Any]], bounds: Limits, timeout_s: float
) -> tuple[list[Result], int, float]:
    """Send on schedule; the results, the requests skipped, and the seconds it all took."""
    import httpx

    pool = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    tasks: set[asyncio.Task[Result]] = set()
    done: list[Result] = []
    skipped = 0

    def _finished(task: asyncio.Task[Result]) -> None:
        tasks.discard(task)
        done.append(task.result())

    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, limits=pool) as client:
        start = time.perf_counter()
        for index in range(bounds.requests):
            offset = index / bounds.rate
            if offset >= bounds.duration_s:
                break
            delay = start + offset - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(tasks) >= MAX_IN_FLIGHT:
                skipped += 1
                continue
            task = asyncio.create_task(_one(client, bodies[index % len(bodies)], start + offset))
            tasks.add(task)
            task.add_done_callback(_finished)
        if tasks:
            await asyncio.wait(set(tasks))
        elapsed = time.perf_counter() - start
    return done, skipped, elapsed


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.loadtest", description=__doc__)
    parser.add_argument("--url", required=True, help="the service, on 127.0.0.1 or ::1")
    parser.add_argument("--duration", type=float, default=None, help="seconds at most")
    parser.add_argument("--requests", type=int, default=None, help="requests at most")
    parser.add_argument("--rate", type=float, default=None, help="requests per second")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample bodies")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per request")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        args.url = loopback_url(args.url)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> int:
    """Run the test and print the report; the exit code says whether it passed."""
    args = _arguments(argv)  # a URL off this machine is refused before anything else

    from services.samples import bodies, read_plan

    plan = read_plan(root)
    plan_rate, slo = plan_targets(plan)
    try:
        bounds = limits(args.rate, args.duration, args.requests, plan_rate)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if bounds is None:
        mode = (plan.get("serving") or {}).get("mode", "batch")
        print(f"serving.mode is {mode}: no realtime service, nothing to load test")
        return 0
    samples = bodies(BODIES, args.seed, root=root)
    results, skipped, elapsed = asyncio.run(_drive(args.url, samples, bounds, args.timeout))
    report = summarise(args.url, bounds, results, skipped, elapsed, slo)
    print(report.to_json() if args.json else report.text())
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
