"""A bounded, closed-loop load test of the local service's streamed chat completions.

``python -m services.loadtest --url http://127.0.0.1:PORT [--concurrency N] [--requests N]
[--seed S] [--timeout S] [--strict] [--json]``

``--concurrency`` clients (threads, each with one kept-alive HTTP connection) send streamed
``POST /v1/chat/completions`` requests, each the next as soon as its previous answer has
ended: a closed loop, so the engine holds about that many sequences at once. The bodies come
from :mod:`services.samples` (``--seed`` picks them), with ``stream: true`` and
``stream_options.include_usage``. The test stops after ``--requests`` requests (by default
:data:`REQUESTS_PER_CLIENT` per client, at most :data:`MAX_REQUESTS`); it only ever targets
the loopback interface: it is a check of this machine's service, never a tool to load
someone else's.

The default concurrency is the Plan's: the running sequences per replica its autoscaler aims
at (``serving.hpa.target_running_sequences`` in ``plan.json``: the engine's batch,
``max_num_seqs`` in :mod:`services.settings`, at the scaling utilisation). That batch is a
GPU's; the CPU engine decodes every sequence's step in a thread on this machine's cores, which
the test shares, so more than a few sequences there only measure the queue. When the engine
that serves here is the CPU one (the rule of :func:`services.config.choose_engine`, which
``MLOPSGEN_LLM_ENGINE`` forces) the default is capped at :data:`CPU_CONCURRENCY`;
``--concurrency`` overrides it, up to :data:`MAX_CONCURRENCY`.

Each request measures, from the moment it is sent: the time to the first content token, the
mean time per output token after it, the time to the last token, the output tokens (the usage
chunk's count, else the content chunks) and its outcome: ok, an HTTP error, an error event in
the stream, or a connection error. The report gives p50 and p95 of each, requests and output
tokens per second, the errors, and p95 time to first token and time per output token beside
the spec's objectives and the Plan's expected figures (``models[].llm`` in ``plan.json``).
On the CPU engine, with a local stand-in for the model, that comparison is informational; on
the planned GPUs with the planned model, it is the check. The samples ask for short answers,
so the time to the last token says nothing of the end-to-end objective. Exit codes: 0 no
request failed (and, with ``--strict``, both p95s are within their objectives), 1 otherwise,
2 bad arguments.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CPU_CONCURRENCY",
    "MAX_CONCURRENCY",
    "MAX_REQUESTS",
    "REQUESTS_PER_CLIENT",
    "Load",
    "Objective",
    "Report",
    "Result",
    "Stream",
    "Targets",
    "choose_load",
    "drive",
    "loopback_url",
    "main",
    "measure",
    "percentile",
    "plan_targets",
    "read_plan",
    "read_stream",
    "streamed",
    "summarise",
]

CHAT_PATH = "/v1/chat/completions"
#: Concurrent clients by default when the CPU engine serves: a few sequences are what a few
#: shared cores decode at once; more only lengthen the queue (``--concurrency`` overrides).
CPU_CONCURRENCY = 4
#: Hard caps: a load test on a developer's machine is finite whatever it is asked.
MAX_CONCURRENCY = 256
MAX_REQUESTS = 10_000
#: Requests each client sends by default.
REQUESTS_PER_CLIENT = 4
#: Distinct bodies cycled through.
BODIES = 64
DEFAULT_TIMEOUT_S = 60.0
#: Outcomes of a request, in report order.
OUTCOMES = ("ok", "http_error", "stream_error", "connection_error")
#: Error messages kept in the report.
ERROR_SAMPLES = 5


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


# -- the Plan's figures ----------------------------------------------------------------------


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Targets:
    """What the Plan says of one replica of the served model."""

    concurrency: int
    ttft_objective_ms: float | None = None
    tpot_objective_ms: float | None = None
    ttft_planned_ms: float | None = None
    tpot_planned_ms: float | None = None


def plan_targets(plan: Mapping[str, Any], model: str, max_num_seqs: int) -> Targets:
    """The planned concurrency per replica and the token objectives and figures of ``model``.

    The concurrency is ``serving.hpa.target_running_sequences``; without it, ``max_num_seqs``
    at ``serving.capacity.scaling_utilisation`` (the Plan's formula), else ``max_num_seqs``.
    """
    serving = plan.get("serving") or {}
    running = _number((serving.get("hpa") or {}).get("target_running_sequences"))
    if running is None:
        rho = _number((serving.get("capacity") or {}).get("scaling_utilisation"))
        running = math.floor(rho * max_num_seqs) if rho is not None else float(max_num_seqs)
    llm: Mapping[str, Any] = {}
    for entry in plan.get("models") or ():
        if entry.get("name") == model and entry.get("llm"):
            llm = entry["llm"]
            break
    return Targets(
        concurrency=max(1, int(running)),
        ttft_objective_ms=_number(llm.get("slo_ttft_p95_ms")),
        tpot_objective_ms=_number(llm.get("slo_tpot_p95_ms")),
        ttft_planned_ms=_number(llm.get("ttft_p95_ms")),
        tpot_planned_ms=_number(llm.get("tpot_p95_ms")),
    )


@dataclass(frozen=True)
class Load:
    """How hard: concurrent clients and requests in all, and why that concurrency."""

    concurrency: int
    requests: int
    reason: str


def choose_load(concurrency: int | None, requests: int | None, planned: int, engine: str) -> Load:
    """The clients and requests from the arguments, the Plan and the engine (see the module).

    Raises:
        ValueError: a concurrency or count that is not positive.
    """
    for name, value in (("concurrency", concurrency), ("requests", requests)):
        if value is not None and value < 1:
            raise ValueError(f"--{name} must be at least 1, not {value}")
    if concurrency is not None:
        clients = min(concurrency, MAX_CONCURRENCY)
        reason = f"--concurrency {concurrency}" + (
            f", capped at {MAX_CONCURRENCY}" if concurrency > MAX_CONCURRENCY else ""
        )
    elif engine == "cpu" and planned > CPU_CONCURRENCY:
        clients = CPU_CONCURRENCY
        reason = (
            f"the plan's {planned} sequences per replica capped at {CPU_CONCURRENCY} for the "
            f"CPU engine (--concurrency {planned} runs the plan's)"
        )
    else:
        clients = min(planned, MAX_CONCURRENCY)
        reason = f"the plan's {planned} sequences per replica"
    count = requests if requests is not None else clients * REQUESTS_PER_CLIENT
    count = min(count, MAX_REQUESTS)
    return Load(concurrency=min(clients, count), requests=count, reason=reason)


# -- one streamed answer -------------------------------------------------------------------


@dataclass
class Stream:
    """What a Server-Sent Events answer held, with the clock's time of its content."""

    first_at: float | None = None
    last_at: float | None = None
    chunks: int = 0
    usage_tokens: int | None = None
    error: str | None = None
    done: bool = False


def _content(event: Mapping[str, Any]) -> str:
    """The text a chunk adds: a chat ``delta.content`` or a completion's ``text``."""
    text = ""
    for choice in event.get("choices") or ():
        if isinstance(choice, Mapping):
            delta = choice.get("delta")
            piece = delta.get("content") if isinstance(delta, Mapping) else choice.get("text")
            if isinstance(piece, str):
                text += piece
    return text


def read_stream(lines: Iterable[bytes], clock: Callable[[], float] = time.perf_counter) -> Stream:
    """Read an SSE answer line by line until ``data: [DONE]`` (or its end, or an error event).

    An event is its ``data:`` lines, ended by a blank line; other fields and comments are
    skipped. A chunk with text is content (``clock()`` is read when its event completes), a
    ``usage`` object gives the output tokens, an ``error`` object ends the stream as failed.
    """
    out = Stream()
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line:
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            continue
        if not data:
            continue
        payload, data = "\n".join(data), []
        if payload == "[DONE]":
            out.done = True
            break
        try:
            event = json.loads(payload)
        except ValueError:
            out.error = f"an event that is not JSON: {payload[:200]!r}"
            break
        if not isinstance(event, Mapping):
            continue
        if event.get("error") is not None:
            error = event["error"]
            message = error.get("message") if isinstance(error, Mapping) else error
            out.error = f"error event: {message}"
            break
        if _content(event):
            now = clock()
            if out.first_at is None:
                out.first_at = now
            out.last_at = now
            out.chunks += 1
        usage = event.get("usage")
        if isinstance(usage, Mapping) and isinstance(usage.get("completion_tokens"), int):
            out.usage_tokens = usage["completion_tokens"]
    if out.error is None and not out.done:
        out.error = "the stream ended before data: [DONE]"
    return out


@dataclass(frozen=True)
class Result:
    """One request: its outcome and, in seconds from when it was sent, its token times."""

    outcome: str
    status: int | None = None
    ttft_s: float | None = None
    tpot_s: float | None = None
    ttlt_s: float | None = None
    tokens: int = 0
    error: str | None = None


def measure(started: float, stream: Stream, status: int = 200) -> Result:
    """The result of a 200 answer's stream that began at ``started`` (the same clock).

    The time per output token is the span from the first content token to the last over the
    tokens after the first (as the service's own metric), for two tokens or more.
    """
    tokens = stream.usage_tokens if stream.usage_tokens is not None else stream.chunks
    ttft = ttlt = tpot = None
    if stream.first_at is not None and stream.last_at is not None:
        ttft = stream.first_at - started
        ttlt = stream.last_at - started
        if tokens > 1:
            tpot = (stream.last_at - stream.first_at) / (tokens - 1)
    return Result(
        outcome="stream_error" if stream.error else "ok",
        status=status,
        ttft_s=ttft,
        tpot_s=tpot,
        ttlt_s=ttlt,
        tokens=tokens,
        error=stream.error,
    )


# -- the report ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile by nearest rank (a value that was measured); None if empty."""
    if not values:
        return None
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is not in (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _spread(values: Sequence[float], scale: float = 1.0) -> dict[str, float | None]:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    return {
        "p50": None if p50 is None else p50 * scale,
        "p95": None if p95 is None else p95 * scale,
    }


@dataclass(frozen=True)
class Objective:
    """A measured p95 beside the spec's objective and the Plan's expected figure (ms)."""

    p95_ms: float | None
    objective_ms: float | None
    planned_ms: float | None

    @property
    def within(self) -> bool | None:
        """Whether the p95 is within the objective (None: no objective or no measure)."""
        if self.p95_ms is None or self.objective_ms is None:
            return None
        return self.p95_ms <= self.objective_ms


@dataclass(frozen=True)
class Report:
    """What the test measured, beside what the Plan asks."""

    url: str
    engine: str
    concurrency: int
    planned_concurrency: int
    concurrency_reason: str
    requests: int
    outcomes: dict[str, int]
    elapsed_s: float
    requests_per_s: float
    output_tokens: int
    output_tokens_per_s: float
    ttft_ms: dict[str, float | None]
    tpot_ms: dict[str, float | None]
    ttlt_ms: dict[str, float | None]
    tokens_per_request: dict[str, float | None]
    ttft: Objective
    tpot: Objective
    strict: bool
    error_samples: list[str]
    results: list[Result] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Requests that did not end well."""
        return sum(n for outcome, n in self.outcomes.items() if outcome != "ok")

    @property
    def comparison(self) -> str:
        """``check`` on the planned engine, ``informational`` on the CPU one."""
        return "informational" if self.engine == "cpu" else "check"

    @property
    def slo_met(self) -> bool | None:
        """Both p95s within their objectives (None: nothing to compare)."""
        verdicts = [o.within for o in (self.ttft, self.tpot) if o.within is not None]
        return all(verdicts) if verdicts else None

    @property
    def passed(self) -> bool:
        """No failed request, some request, and with ``strict`` no p95 above its objective."""
        if self.errors or not self.outcomes.get("ok"):
            return False
        return not (self.strict and self.slo_met is False)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        data = asdict(self)
        for name in ("ttft", "tpot"):
            data[name]["within"] = getattr(self, name).within
        data.update(
            errors=self.errors,
            comparison=self.comparison,
            slo_met=self.slo_met,
            passed=self.passed,
        )
        return data

    def to_json(self) -> str:
        """The report as one JSON object."""
        return json.dumps(self.to_dict())

    def text(self) -> str:
        """The report for people."""

        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} ms"

        def count(value: float | None) -> str:
            return "-" if value is None else f"{value:g}"

        def spread(values: Mapping[str, float | None]) -> str:
            return f"p50 {ms(values['p50'])}, p95 {ms(values['p95'])}"

        def versus(name: str, measured: Objective) -> str:
            verdict = {True: "within", False: "ABOVE", None: "no comparison with"}
            return (
                f"  p95 {name} {ms(measured.p95_ms)} is {verdict[measured.within]} the "
                f"objective {ms(measured.objective_ms)} (plan expects {ms(measured.planned_ms)})"
            )

        tokens = self.tokens_per_request
        failed = ", ".join(f"{k} {v}" for k, v in self.outcomes.items() if k != "ok" and v)
        lines = [
            (
                f"load test of {self.url}{CHAT_PATH}: {self.requests} streamed requests from "
                f"{self.concurrency} clients in {self.elapsed_s:.1f} s ({self.engine} engine)"
            ),
            f"  concurrency: {self.concurrency_reason}",
            f"  ok {self.outcomes.get('ok', 0)}, errors {self.errors}"
            + (f" ({failed})" if failed else ""),
            f"  time to first token   {spread(self.ttft_ms)}",
            f"  time per output token {spread(self.tpot_ms)}",
            f"  time to last token    {spread(self.ttlt_ms)}",
            f"  output tokens per request p50 {count(tokens['p50'])}, p95 {count(tokens['p95'])}",
            (
                f"  {self.requests_per_s:.2f} requests/s, "
                f"{self.output_tokens_per_s:.1f} output tokens/s"
            ),
            versus("time to first token", self.ttft),
            versus("time per output token", self.tpot),
            (
                "  the CPU engine with a local stand-in model is not the planned GPU: the "
                "comparison is informational (on the planned GPUs it is the check)"
                if self.comparison == "informational"
                else "  on the planned engine: the comparison is the check"
            ),
            *(f"  error: {message}" for message in self.error_samples),
            "passed" if self.passed else "FAILED",
        ]
        return "\n".join(lines)


def summarise(
    url: str,
    engine: str,
    load: Load,
    targets: Targets,
    results: Sequence[Result],
    elapsed_s: float,
    *,
    strict: bool = False,
) -> Report:
    """The report of a finished test."""
    ok = [r for r in results if r.outcome == "ok"]
    ttft = [r.ttft_s for r in ok if r.ttft_s is not None]
    tpot = [r.tpot_s for r in ok if r.tpot_s is not None]
    ttlt = [r.ttlt_s for r in ok if r.ttlt_s is not None]
    tokens = sum(r.tokens for r in ok)
    ttft_ms, tpot_ms = _spread(ttft, 1000.0), _spread(tpot, 1000.0)
    return Report(
        url=url,
        engine=engine,
        concurrency=load.concurrency,
        planned_concurrency=targets.concurrency,
        concurrency_reason=load.reason,
        requests=len(results),
        outcomes={o: sum(r.outcome == o for r in results) for o in OUTCOMES},
        elapsed_s=elapsed_s,
        requests_per_s=len(results) / elapsed_s if elapsed_s > 0 else 0.0,
        output_tokens=tokens,
        output_tokens_per_s=tokens / elapsed_s if elapsed_s > 0 else 0.0,
        ttft_ms=ttft_ms,
        tpot_ms=tpot_ms,
        ttlt_ms=_spread(ttlt, 1000.0),
        tokens_per_request=_spread([float(r.tokens) for r in ok]),
        ttft=Objective(ttft_ms["p95"], targets.ttft_objective_ms, targets.ttft_planned_ms),
        tpot=Objective(tpot_ms["p95"], targets.tpot_objective_ms, targets.tpot_planned_ms),
        strict=strict,
        error_samples=[r.error for r in results if r.error][:ERROR_SAMPLES],
        results=list(results),
    )


# -- the clients -----------------------------------------------------------------------------


class _Client:
    """One kept-alive connection; a new one after any failure."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port
        self.timeout_s = timeout_s
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.connection = kind(self.host, self.port, timeout=self.timeout_s)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _send(self, payload: bytes) -> tuple[float, http.client.HTTPResponse]:
        """Send on the kept connection, once more on a new one if the server had closed it."""
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        reused = self.connection is not None
        while True:
            started = time.perf_counter()
            try:
                connection = self._connect()
                connection.request("POST", CHAT_PATH, payload, headers)
                return started, connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if not reused:
                    raise
                reused = False

    def send(self, body: Mapping[str, Any]) -> Result:
        """One streamed request, measured."""
        payload = json.dumps(body).encode("utf-8")
        try:
            started, response = self._send(payload)
            if response.status != 200:
                text = response.read().decode("utf-8", errors="replace")
                return Result(
                    "http_error", status=response.status, error=f"HTTP {response.status}: {text}"
                )
            stream = read_stream(response)
            response.read()  # the rest, so the connection can carry the next request
            if response.will_close:
                self.close()
            return measure(started, stream)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Result("connection_error", error=f"{type(exc).__name__}: {exc}")


def drive(
    url: str, bodies: Sequence[Mapping[str, Any]], load: Load, timeout_s: float
) -> tuple[list[Result], float]:
    """Run the clients until ``load.requests`` are answered; the results and the seconds taken."""
    results: list[Result | None] = [None] * load.requests
    lock = threading.Lock()
    taken = 0

    def next_index() -> int | None:
        nonlocal taken
        with lock:
            if taken >= load.requests:
                return None
            taken += 1
            return taken - 1

    def run() -> None:
        client = _Client(url, timeout_s)
        try:
            while (index := next_index()) is not None:
                try:
                    results[index] = client.send(bodies[index % len(bodies)])
                except Exception as exc:  # noqa: BLE001 - a client's failure is a result
                    results[index] = Result("connection_error", error=repr(exc))
        finally:
            client.close()

    threads = [
        threading.Thread(target=run, name=f"loadtest-{n}", daemon=True)
        for n in range(load.concurrency)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    done = [r if r is not None else Result("connection_error", error="not sent") for r in results]
    return done, elapsed


def streamed(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` asking for a streamed answer with the usage chunk."""
    return {**body, "stream": True, "stream_options": {"include_usage": True}}


# -- the command -----------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.loadtest", description=__doc__)
    parser.add_argument("--url", required=True, help="the service, on 127.0.0.1 or ::1")
    parser.add_argument("--concurrency", type=int, default=None, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=None, help="requests in all")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample bodies")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds a read may wait (default: plan's)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail when a p95 is above its objective"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        args.url = loopback_url(args.url)
    except ValueError as exc:
        parser.error(str(exc))
    if args.timeout is not None and not args.timeout > 0:
        parser.error(f"--timeout must be positive, not {args.timeout}")
    return args


def read_plan(root: Path | None = None) -> dict[str, Any]:
    """``plan.json`` of the stack (the folder above ``services``) as data."""
    base = root if root is not None else Path(__file__).resolve().parent.parent
    data: dict[str, Any] = json.loads((base / "plan.json").read_text(encoding="utf-8"))
    return data


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> int:
    """Run the test and print the report; the exit code says whether it passed."""
    args = _arguments(argv)  # a URL off this machine is refused before anything else

    from services import settings
    from services.config import ConfigError, choose_engine
    from services.samples import bodies

    try:
        engine = choose_engine(dict(os.environ))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    targets = plan_targets(read_plan(root), settings.MODEL, settings.MAX_NUM_SEQS)
    try:
        load = choose_load(args.concurrency, args.requests, targets.concurrency, engine)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    timeout_s = args.timeout
    if timeout_s is None:
        timeout_s = settings.TIMEOUT_S if settings.TIMEOUT_S > 0 else DEFAULT_TIMEOUT_S
    samples = [streamed(body) for body in bodies(BODIES, args.seed)]
    results, elapsed = drive(args.url, samples, load, timeout_s)
    report = summarise(args.url, engine, load, targets, results, elapsed, strict=args.strict)
    print(report.to_json() if args.json else report.text())
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
