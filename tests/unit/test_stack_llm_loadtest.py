"""The stdlib parts of a language stack's ``services.loadtest``: load, SSE reading, the report.

The test against a served stack is in ``tests/functional/test_llm_loadtest.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.unit.stack_modules import load_service_module, read_plan

loadtest = load_service_module("loadtest", language=True)
PLAN = read_plan(REPO / "generated" / "support-assistant" / "plan.json")


def _sse(*events: Any) -> list[bytes]:
    """The lines of an SSE answer carrying ``events`` (``[DONE]`` as the string)."""
    lines: list[bytes] = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        lines += [f"data: {data}\r\n".encode(), b"\r\n"]
    return lines


def _chunk(text: str | None, role: bool = False) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if text is not None:
        delta["content"] = text
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}


def _usage(tokens: int) -> dict[str, Any]:
    return {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": tokens}}


def _clock(*times: float) -> Any:
    ticks: Iterator[float] = iter(times)
    return lambda: next(ticks)


# -- the plan ------------------------------------------------------------------------------


def test_the_reference_plan_gives_its_running_sequences_and_token_figures() -> None:
    llm = PLAN["models"][0]["llm"]
    targets = loadtest.plan_targets(PLAN, PLAN["models"][0]["name"], llm["max_num_seqs"])
    assert targets.concurrency == PLAN["serving"]["hpa"]["target_running_sequences"]
    assert targets.ttft_objective_ms == llm["slo_ttft_p95_ms"]
    assert targets.tpot_objective_ms == llm["slo_tpot_p95_ms"]
    assert targets.ttft_planned_ms == llm["ttft_p95_ms"]
    assert targets.tpot_planned_ms == llm["tpot_p95_ms"]


def test_without_the_hpa_figure_the_batch_at_the_scaling_utilisation_is_planned() -> None:
    plan = {"serving": {"capacity": {"scaling_utilisation": 0.4}}, "models": []}
    assert loadtest.plan_targets(plan, "m", 78) == loadtest.Targets(concurrency=31)
    assert loadtest.plan_targets({}, "m", 6).concurrency == 6
    assert loadtest.plan_targets({"serving": {"hpa": {}}}, "m", 0).concurrency == 1


def test_the_cpu_engine_caps_the_plans_concurrency_and_an_argument_overrides() -> None:
    cpu = loadtest.choose_load(None, None, 31, "cpu")
    assert cpu.concurrency == loadtest.CPU_CONCURRENCY
    assert cpu.requests == loadtest.CPU_CONCURRENCY * loadtest.REQUESTS_PER_CLIENT
    assert "--concurrency 31" in cpu.reason
    assert loadtest.choose_load(None, None, 31, "vllm").concurrency == 31
    assert loadtest.choose_load(None, None, 2, "cpu").concurrency == 2
    assert loadtest.choose_load(12, 30, 31, "cpu") == loadtest.Load(12, 30, "--concurrency 12")
    huge = loadtest.choose_load(10**6, 10**9, 31, "cpu")
    assert (huge.concurrency, huge.requests) == (loadtest.MAX_CONCURRENCY, loadtest.MAX_REQUESTS)
    assert loadtest.choose_load(8, 3, 31, "cpu").concurrency == 3  # no idle clients


@pytest.mark.parametrize(("concurrency", "requests"), [(0, None), (None, 0), (-2, 5)])
def test_a_load_that_is_not_positive_is_refused(
    concurrency: int | None, requests: int | None
) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        loadtest.choose_load(concurrency, requests, 4, "cpu")


def test_the_command_line_refuses_a_remote_url_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        loadtest.main(["--url", "http://192.0.2.7:3000"], root=Path("/nonexistent"))
    assert exit_info.value.code == 2
    assert "not a loopback address" in capsys.readouterr().err


def test_a_streamed_body_asks_for_the_usage_chunk() -> None:
    body = {"messages": [], "max_tokens": 4}
    assert loadtest.streamed(body) == {
        **body,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


# -- reading a stream -----------------------------------------------------------------------


def test_content_chunks_are_timed_and_the_usage_chunk_counts_the_tokens() -> None:
    lines = _sse(_chunk("", role=True), _chunk("Hel"), _chunk("lo"), _chunk(None), _usage(5))
    stream = loadtest.read_stream([*lines, *_sse("[DONE]")], _clock(1.0, 2.0))
    assert (stream.first_at, stream.last_at, stream.chunks) == (1.0, 2.0, 2)
    assert stream.usage_tokens == 5 and stream.done and stream.error is None


def test_comments_other_fields_and_split_data_lines_are_read_as_sse() -> None:
    lines = [b": keep-alive\n", b"\n", b"event: message\n", b'data: {"choices":\n']
    lines += [b'data: [{"delta": {"content": "x"}}]}\n', b"\n", b"data:[DONE]\n", b"\n"]
    stream = loadtest.read_stream(lines, _clock(3.0))
    assert stream.chunks == 1 and stream.first_at == 3.0 and stream.done


def test_an_error_event_ends_the_stream_as_failed() -> None:
    error = {"error": {"message": "generation failed: boom", "type": "server_error"}}
    stream = loadtest.read_stream(_sse(_chunk("a"), error, "[DONE]"), _clock(1.0))
    assert stream.error == "error event: generation failed: boom" and not stream.done


@pytest.mark.parametrize(
    ("lines", "message"),
    [(_sse(_chunk("a")), "ended before data: [DONE]"), ([b"data: {oops\n", b"\n"], "not JSON")],
)
def test_a_cut_or_garbled_stream_is_an_error(lines: list[bytes], message: str) -> None:
    assert message in loadtest.read_stream(lines, _clock(1.0, 2.0)).error


def test_a_completion_chunks_text_is_content_too() -> None:
    text = {"object": "text_completion", "choices": [{"index": 0, "text": "hi"}]}
    assert loadtest.read_stream(_sse(text, "[DONE]"), _clock(1.0)).chunks == 1


# -- measuring ------------------------------------------------------------------------------


def test_a_request_is_measured_from_when_it_was_sent() -> None:
    stream = loadtest.Stream(first_at=10.5, last_at=11.5, chunks=3, usage_tokens=5, done=True)
    result = loadtest.measure(10.0, stream)
    assert result.outcome == "ok" and result.tokens == 5
    assert result.ttft_s == pytest.approx(0.5) and result.ttlt_s == pytest.approx(1.5)
    assert result.tpot_s == pytest.approx(0.25)  # 1 s over the 4 tokens after the first


def test_without_usage_the_chunks_count_and_one_token_has_no_time_per_token() -> None:
    one = loadtest.measure(0.0, loadtest.Stream(first_at=1.0, last_at=1.0, chunks=1, done=True))
    assert one.tokens == 1 and one.tpot_s is None and one.ttft_s == one.ttlt_s == 1.0
    failed = loadtest.measure(0.0, loadtest.Stream(error="error event: x"))
    assert failed.outcome == "stream_error" and failed.ttft_s is None


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, None), ([3.0], 95, 3.0), ([4.0, 1.0, 3.0, 2.0], 50, 2.0), ([*range(1, 21)], 95, 19)],
)
def test_percentiles_are_nearest_rank(values: list[float], q: float, expected: Any) -> None:
    assert loadtest.percentile(values, q) == expected


def test_a_percentile_outside_the_range_is_refused() -> None:
    with pytest.raises(ValueError):
        loadtest.percentile([1.0], 0)


# -- the report -----------------------------------------------------------------------------

TARGETS = loadtest.Targets(
    concurrency=31,
    ttft_objective_ms=1500.0,
    tpot_objective_ms=100.0,
    ttft_planned_ms=62.7,
    tpot_planned_ms=35.5,
)
LOAD = loadtest.Load(concurrency=2, requests=3, reason="--concurrency 2")


def _ok(ttft: float, tpot: float, tokens: int = 5) -> Any:
    return loadtest.Result(
        "ok", 200, ttft_s=ttft, tpot_s=tpot, ttlt_s=ttft + tpot * (tokens - 1), tokens=tokens
    )


def test_the_report_gives_percentiles_rates_and_the_comparison() -> None:
    results = [_ok(0.1, 0.02), _ok(0.2, 0.03), _ok(0.3, 0.04)]
    report = loadtest.summarise("http://127.0.0.1:1", "cpu", LOAD, TARGETS, results, 2.0)
    assert report.outcomes == {"ok": 3, "http_error": 0, "stream_error": 0, "connection_error": 0}
    assert report.ttft_ms == {"p50": pytest.approx(200.0), "p95": pytest.approx(300.0)}
    assert report.tpot_ms["p95"] == pytest.approx(40.0)
    assert report.requests_per_s == 1.5 and report.output_tokens_per_s == 7.5
    assert report.ttft.within and report.tpot.within and report.slo_met
    assert report.comparison == "informational" and report.passed
    data = json.loads(report.to_json())
    assert data["passed"] and data["errors"] == 0 and data["ttft"]["within"] is True
    assert data["planned_concurrency"] == 31 and len(data["results"]) == 3
    text = report.text()
    assert "informational" in text and "plan expects 62.7 ms" in text and "passed" in text


def test_any_failed_request_fails_the_test() -> None:
    results = [_ok(0.1, 0.02), loadtest.Result("http_error", 400, error="HTTP 400: too long")]
    report = loadtest.summarise("http://127.0.0.1:1", "vllm", LOAD, TARGETS, results, 1.0)
    assert report.errors == 1 and not report.passed and report.comparison == "check"
    assert report.error_samples == ["HTTP 400: too long"]
    assert "http_error 1" in report.text() and "FAILED" in report.text()


def test_a_p95_above_its_objective_fails_only_a_strict_test() -> None:
    results = [_ok(2.0, 0.02)]  # 2000 ms to the first token, over 1500
    args = ("http://127.0.0.1:1", "vllm", LOAD, TARGETS, results, 1.0)
    assert loadtest.summarise(*args).passed
    strict = loadtest.summarise(*args, strict=True)
    assert strict.ttft.within is False and strict.slo_met is False and not strict.passed
    assert "ABOVE the objective 1500.0 ms" in strict.text()


def test_no_objective_is_no_comparison_and_no_answer_is_no_pass() -> None:
    report = loadtest.summarise(
        "http://127.0.0.1:1", "cpu", LOAD, loadtest.Targets(4), [_ok(0.1, 0.01)], 1.0, strict=True
    )
    assert report.slo_met is None and report.passed
    assert not loadtest.summarise("http://127.0.0.1:1", "cpu", LOAD, TARGETS, [], 1.0).passed
