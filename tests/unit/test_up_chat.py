"""``up``'s chat client against a small local server speaking the chat completions wire format.

The server is the standard library's, answering ``POST /v1/chat/completions`` as the language
service does: a JSON completion, or Server-Sent Events ending with ``data: [DONE]``. The
client must join the streamed deltas, count the content chunks it timed, refuse a refusal, an
error event and a stream cut before ``[DONE]`` with a ProbeError, and summarise timings as the
table prints them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mlopsgen.up.chat import ChatClient, StreamTiming, TokenLatency, measure_tokens
from mlopsgen.up.display import answers_table, token_latency_table
from mlopsgen.up.probe import ProbeError
from mlopsgen.up.stack import ServingSummary

WORDS = ["Refunds ", "are ", "issued ", "in ", "five ", "days."]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    event = {"object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
    return f"data: {json.dumps(event)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    mode = "ok"

    def log_message(self, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.mode == "refuse":
            self._send(400, b'{"error": {"message": "max_tokens too large"}}', "application/json")
            return
        if not body.get("stream"):
            answer = {"choices": [{"message": {"role": "assistant", "content": "".join(WORDS)}}]}
            self._send(200, json.dumps(answer).encode(), "application/json")
            return
        parts = [_chunk({"role": "assistant"}), *(_chunk({"content": w}) for w in WORDS)]
        if self.mode == "error":
            parts.append(b'data: {"error": {"message": "engine failed"}}\n\n')
        parts.append(_chunk({}, "stop"))
        if self.mode != "cut":
            parts.append(b"data: [DONE]\n\n")
        self._send(200, b"".join(parts), "text/event-stream")

    def _send(self, status: int, payload: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        _Handler.mode = "ok"


BODY = {"model": "assistant", "messages": [{"role": "user", "content": "When is my refund?"}]}


def test_an_answer_and_a_stream_give_the_same_text(server: ThreadingHTTPServer) -> None:
    with ChatClient(server.server_address[1]) as client:
        assert client.answer(BODY) == "".join(WORDS)
        timing = client.stream(BODY)
    assert timing.text == "".join(WORDS)
    assert timing.chunks == len(WORDS)
    assert 0 <= timing.first_token_s <= timing.total_s
    assert timing.per_token_s is not None and timing.per_token_s >= 0


@pytest.mark.parametrize(
    ("mode", "words"),
    [("refuse", "answered 400"), ("error", "engine failed"), ("cut", r"without data: \[DONE\]")],
)
def test_a_failed_stream_is_a_probe_error(
    server: ThreadingHTTPServer, mode: str, words: str
) -> None:
    _Handler.mode = mode
    with ChatClient(server.server_address[1]) as client, pytest.raises(ProbeError, match=words):
        client.stream(BODY)


def test_measured_tokens_summarise_by_nearest_rank(server: ThreadingHTTPServer) -> None:
    with ChatClient(server.server_address[1]) as client:
        latency = measure_tokens(client, [BODY], 4)
    assert latency.count == 4
    assert latency.first_token_p50_ms <= latency.first_token_p95_ms <= latency.total_p95_ms
    timings = [StreamTiming("a", 1, 0.010, 0.010), StreamTiming("ab", 3, 0.020, 0.060)]
    summary = TokenLatency.of(timings)
    assert summary.first_token_p95_ms == pytest.approx(20.0)
    assert summary.per_token_p95_ms == pytest.approx(20.0)  # (60 - 20) / (3 - 1); one chunk: none
    assert summary.total_p95_ms == pytest.approx(60.0)


def test_the_tables_set_the_measurement_beside_the_objectives() -> None:
    serving = ServingSummary.from_plan(
        {
            "system": {"name": "support-assistant"},
            "serving": {"service_name": "support-assistant", "realtime": True,
                        "latency_p95_ms": 20000, "capacity": {"replicas": 6}},
            "models": [{"served": True, "llm": {"slo_ttft_p95_ms": 1500, "slo_tpot_p95_ms": 100,
                                                "ttft_p95_ms": 62.7, "tpot_p95_ms": 35.5}}],
        }
    )  # fmt: skip
    assert serving.language and serving.first_token_p95_ms == 1500
    latency = TokenLatency(20, 30.0, 2000.0, 5.0, 900.0)
    table = token_latency_table(latency, serving)
    cells = [list(column.cells) for column in table.columns]
    rows = list(zip(*cells, strict=True))
    first = next(r for r in rows if r[0] == "time to first token p95")
    assert first[1:] == ("2,000 ms", "1,500 ms (above the objective)", "62.7 ms")
    per_token = next(r for r in rows if r[0] == "time per output token p95")
    assert per_token[2] == "100 ms (within the objective)"
    shown = answers_table([BODY], ["Refunds are issued in five days."])
    assert list(shown.columns[1].cells) == ["When is my refund?"]
