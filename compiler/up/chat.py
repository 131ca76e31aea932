"""Requests to a local language service: sample answers, and token timing from streamed ones.

A language stack's service speaks OpenAI's chat completions (``POST /v1/chat/completions``).
``up`` asks it a few sample questions and shows the answers, then streams the same questions
one after another and times each answer the way the Plan's objectives are stated: the time to
its first token and the mean time per output token after it, and the time to its last token.
Standard library HTTP only, like :mod:`.probe`; a stream is read as server-sent events, one
``data:`` line per chunk, until ``data: [DONE]``.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlopsgen.up.probe import TIMEOUT_SECONDS, ProbeError, percentile

__all__ = ["CHAT_PATH", "ChatClient", "StreamTiming", "TokenLatency", "measure_tokens"]

CHAT_PATH = "/v1/chat/completions"
DONE = "[DONE]"


@dataclass(frozen=True)
class StreamTiming:
    """One streamed answer: its text, and when its first and last content arrived."""

    text: str
    chunks: int
    first_token_s: float
    total_s: float

    @property
    def per_token_s(self) -> float | None:
        """Mean gap between content chunks after the first (None for a one-chunk answer)."""
        if self.chunks < 2:
            return None
        return (self.total_s - self.first_token_s) / (self.chunks - 1)


@dataclass(frozen=True)
class TokenLatency:
    """Timing over sequential streamed answers, in milliseconds."""

    count: int
    first_token_p50_ms: float
    first_token_p95_ms: float
    per_token_p95_ms: float | None
    total_p95_ms: float

    @classmethod
    def of(cls, timings: Sequence[StreamTiming]) -> TokenLatency:
        """The summary of measured answers."""
        first = [t.first_token_s * 1000 for t in timings]
        gaps = [g * 1000 for t in timings if (g := t.per_token_s) is not None]
        return cls(
            count=len(timings),
            first_token_p50_ms=percentile(first, 50),
            first_token_p95_ms=percentile(first, 95),
            per_token_p95_ms=percentile(gaps, 95) if gaps else None,
            total_p95_ms=percentile([t.total_s * 1000 for t in timings], 95),
        )


class ChatClient:
    """One kept-alive HTTP connection to the language service on the loopback interface."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = TIMEOUT_SECONDS):
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def _send(self, body: Mapping[str, Any]) -> http.client.HTTPResponse:
        payload = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        try:
            self._connection.request("POST", CHAT_PATH, payload, headers)
            return self._connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()
            raise ProbeError(
                f"POST {CHAT_PATH} got no answer: {exc}", "the server log says why"
            ) from None

    @staticmethod
    def _refused(response: http.client.HTTPResponse) -> ProbeError:
        text = response.read().decode("utf-8", "replace")
        return ProbeError(
            f"POST {CHAT_PATH} answered {response.status}: {text[:300]}",
            "the sample request is an OpenAI chat completion; the server log says more",
        )

    def answer(self, body: Mapping[str, Any]) -> str:
        """The text of the service's answer to one chat completion, not streamed.

        Raises:
            ProbeError: no answer, a status other than 200, or no message in the answer.
        """
        response = self._send({**body, "stream": False})
        if response.status != 200:
            raise self._refused(response)
        text = response.read().decode("utf-8", "replace")
        try:
            content = json.loads(text)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise ProbeError(
                f"POST {CHAT_PATH} answered {text[:300]!r}, not a chat completion",
                "the service must answer with choices[0].message.content",
            )
        return content

    def stream(self, body: Mapping[str, Any]) -> StreamTiming:
        """Stream one answer and time its content chunks.

        Raises:
            ProbeError: no answer, a status other than 200, an error event, or a stream that
                ends without ``data: [DONE]``.
        """
        started = time.perf_counter()
        response = self._send({**body, "stream": True})
        if response.status != 200:
            raise self._refused(response)
        parts: list[str] = []
        first: float | None = None
        last = started
        done = False
        while not done:
            raw = response.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            data = line.removeprefix("data:").strip()
            if data == DONE:
                done = True
                continue
            event = json.loads(data)
            if "error" in event:
                raise ProbeError(
                    f"the stream of POST {CHAT_PATH} failed: {event['error']}",
                    "the server log says why",
                )
            for choice in event.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    last = time.perf_counter()
                    first = last if first is None else first
                    parts.append(content)
        response.read()
        if not done:
            raise ProbeError(
                f"the stream of POST {CHAT_PATH} ended without data: [DONE]",
                "the server log says why",
            )
        return StreamTiming(
            text="".join(parts),
            chunks=len(parts),
            first_token_s=(first if first is not None else last) - started,
            total_s=last - started,
        )

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def measure_tokens(
    client: ChatClient, bodies: Sequence[Mapping[str, Any]], requests: int
) -> TokenLatency:
    """Stream ``requests`` answers one after another, cycling through ``bodies``.

    Raises:
        ProbeError: a request failed (the check stops at the first).
        ValueError: no bodies or no requests.
    """
    if not bodies or requests < 1:
        raise ValueError("measuring needs at least one body and one request")
    return TokenLatency.of([client.stream(bodies[i % len(bodies)]) for i in range(requests)])
