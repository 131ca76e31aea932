"""The language stack's service serves for real: OpenAI's API over a tiny model, streamed or not.

The support-assistant spec is built into a temporary folder; the stack's own
``python -m pipelines.base_model DIR`` makes a tiny seeded Llama with its tokenizer; ``bentoml
serve`` runs the stack's service on a free 127.0.0.1 port with ``MLOPSGEN_LLM_MODEL_DIR``
naming that folder, the CPU engine (no GPU here) and short limits for the test
(``MLOPSGEN_LLM_MAX_TOKENS``, ``MLOPSGEN_LLM_MAX_MODEL_LEN``); requests are plain ``urllib``
calls. Everything runs offline: ``HF_HUB_OFFLINE=1``, an empty ``HF_HOME`` that must stay
empty, and proxies on a dead local port.

The vLLM checks read the engine arguments the stack builds and check them against vLLM
0.33.0's own argument classes: from the wheel (``MLOPSGEN_VLLM_WHEEL``, else the one
``python tests/functional/vllm_args.py fetch`` cached) and by importing vLLM
(``MLOPSGEN_VLLM_PATH``: ``PYTHONPATH`` entries where vLLM is installed ``--no-deps`` with the
modules its argument classes import); each is skipped, saying why, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.build import build_stack, compile_stack
from mlopsgen.output.writer import write_tree
from mlopsgen.render.errors import RenderError
from mlopsgen.targets.bentoml.language import QUANTIZATIONS
from mlopsgen.targets.registry import TARGETS
from tests.conftest import REPO
from tests.functional import vllm_args
from tests.functional.bento_serving import free_port, get, output_of, wait_ready
from tests.functional.stack_env import run_in_stack, run_json, stack_environment, stack_python
from tests.functional.zenml_stacks import MYPY_CACHE

SPEC = REPO / "specs" / "llm" / "support-assistant.yaml"
SERVICE = "services.support_assistant.service:SupportAssistant"
MODEL = "assistant"
MAX_TOKENS = 24  # the service's limit in these tests
MAX_MODEL_LEN = 192
HELLO = [{"role": "user", "content": "Hello there, how are you?"}]
LONG = "The quick brown fox jumps over the lazy dog. " * 20

pytestmark = pytest.mark.slow


# -- the stack, its model and its server ----------------------------------------------------


def _build(out: Path) -> Path:
    """The spec's stack in ``out``; the pipelines' base-model module copied in when the ZenML
    target does not render a language stack's pipelines yet."""
    try:
        report = build_stack(SPEC, out)
        assert report.exit_code == 0, report
    except RenderError as exc:
        if exc.target != "zenml":
            raise
        compiled = compile_stack(SPEC, out, targets=[t for t in TARGETS if t.name != "zenml"])
        write_tree(compiled.tree, out, spec_sha256=compiled.plan.system.spec_sha256)
    pipelines = out / "pipelines"
    if not (pipelines / "base_model.py").is_file():
        pipelines.mkdir(exist_ok=True)
        if not (pipelines / "__init__.py").is_file():
            (pipelines / "__init__.py").write_text('"""The stack\'s pipelines."""\n', "utf-8")
        shutil.copy(REPO / "templates" / "zenml-llm" / "pipelines" / "base_model.py", pipelines)
    return out


def _offline(work: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What every stack process gets here besides the stack's own environment: offline."""
    return {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(work / "hf-home"),
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        **(extra or {}),
    }


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    return tmp_path_factory.mktemp("llm-service")


@pytest.fixture(scope="module")
def stack(work: Path) -> Path:
    return _build(work / "stack")


@pytest.fixture(scope="module")
def model_dir(work: Path, stack: Path) -> Path:
    out = work / "tiny"
    run_in_stack(stack, ["-m", "pipelines.base_model", str(out)], extra_env=_offline(work))
    return out


def _listen(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def serving(stack: Path, work: Path, settings: dict[str, str]) -> Iterator[str]:
    """``bentoml serve`` of the stack's service on a free port; its base URL. Always stopped."""
    port = free_port()
    env = stack_environment(stack, _offline(work, {"MLOPSGEN_SERVICE_WORKERS": "1", **settings}))
    log = stack.parent / f"{stack.name}-serve-{port}.log"
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [str(stack_python()), "-m", "bentoml", "serve", SERVICE, *_listen(port)],
            cwd=stack,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(server, base, stack)
        yield base
    finally:
        server.terminate()
        server.wait()


@pytest.fixture(scope="module")
def server(stack: Path, work: Path, model_dir: Path) -> Iterator[str]:
    settings = {
        "MLOPSGEN_LLM_MODEL_DIR": str(model_dir),
        "MLOPSGEN_LLM_MAX_TOKENS": str(MAX_TOKENS),
        "MLOPSGEN_LLM_MAX_MODEL_LEN": str(MAX_MODEL_LEN),
    }
    with serving(stack, work, settings) as base:
        yield base


# -- HTTP -----------------------------------------------------------------------------------


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stream(url: str, body: dict[str, Any]) -> tuple[str, list[Any]]:
    """POST with ``stream: true``; the content type and the events' data, read as they come."""
    request = urllib.request.Request(
        url,
        json.dumps({**body, "stream": True}).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    events: list[Any] = []
    with urllib.request.urlopen(request) as answer:
        kind = answer.headers.get("Content-Type", "")
        pending: list[str] = []
        for raw in answer:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line:
                pending.append(line)
                continue
            assert pending and all(p.startswith("data: ") for p in pending), pending
            data = "\n".join(p.removeprefix("data: ") for p in pending)
            events.append(data if data == "[DONE]" else json.loads(data))
            pending = []
    assert not pending, f"an event without its blank line: {pending}"
    return kind, events


def chat(**body: Any) -> dict[str, Any]:
    return {"messages": HELLO, "max_tokens": 12, "temperature": 0, **body}


# -- the stack ------------------------------------------------------------------------------


def test_the_plan_settings_apply_capped_by_the_model(
    stack: Path, work: Path, model_dir: Path
) -> None:
    """Without overrides: the plan's batch, dtype and engine; the tiny model's 256 positions
    cap the planned 4096-token context, and the output limit stays below it."""
    code = (
        "import dataclasses, json; from services.config import ServiceConfig; "
        "c = ServiceConfig.load(); "
        "print(json.dumps({k: str(v) for k, v in dataclasses.asdict(c).items()}))"
    )
    env = _offline(work, {"MLOPSGEN_LLM_MODEL_DIR": str(model_dir)})
    config = run_json(stack, code, extra_env=env)
    assert config["model_name"] == MODEL
    assert config["engine"] == "cpu"  # the plan says vllm; no GPU and no vllm here
    assert config["max_num_seqs"] == "78" and config["dtype"] == "float16"
    assert config["max_model_len"] == "256" and config["max_tokens"] == "255"
    assert "4096" in config["notes"]


def test_the_services_pass_the_stack_lint(stack: Path) -> None:
    """ruff (the stack's own configuration) and ``mypy --strict`` in the stack's environment."""
    for args in (
        ["ruff", "check", "--no-cache", "services"],
        ["ruff", "format", "--check", "--no-cache", "services"],
        [
            "mypy",
            "--strict",
            "--ignore-missing-imports",
            "--cache-dir",
            str(MYPY_CACHE),
            "services",
        ],
    ):
        done = run_in_stack(stack, ["-m", *args], check=False)
        assert done.returncode == 0, f"{args[0]}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"


def test_samples_are_chat_bodies_the_same_for_a_seed(stack: Path, work: Path) -> None:
    def samples(seed: int) -> list[dict[str, Any]]:
        args = ["-m", "services.samples", "--count", "4", "--seed", str(seed)]
        out = run_in_stack(stack, args, extra_env=_offline(work)).stdout
        return [json.loads(line) for line in out.splitlines()]

    first = samples(3)
    assert len(first) == 4 and first == samples(3) and first != samples(4)
    for body in first:
        assert body["model"] == MODEL
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert 1 <= body["max_tokens"] <= 600


def test_the_sample_bodies_are_answered(stack: Path, work: Path, server: str) -> None:
    out = run_in_stack(stack, ["-m", "services.samples", "--count", "2"], extra_env=_offline(work))
    for line in out.stdout.splitlines():
        status, answer = post(server + "/v1/chat/completions", json.loads(line))
        assert status == 200, answer


def test_a_missing_stored_model_is_refused_naming_the_export(stack: Path, work: Path) -> None:
    done = run_in_stack(
        stack,
        ["-c", "from services.config import ServiceConfig; ServiceConfig.load()"],
        extra_env=_offline(work),
        check=False,
    )
    assert done.returncode != 0
    assert "python -m services.export" in done.stderr and "MLOPSGEN_LLM_MODEL_DIR" in done.stderr


# -- export: the BentoML store ---------------------------------------------------------------

LISTED = "import json, bentoml; print(json.dumps([str(m.tag) for m in bentoml.models.list()]))"


def _store(work: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Offline, with a BentoML home of the export tests' own: a second ``bentoml serve`` on
    the home of the running server would reset that server's metrics."""
    return _offline(work, {"BENTOML_HOME": str(work / "bentoml-store"), **(extra or {})})


def test_export_without_a_production_version_exits_3_storing_nothing(
    stack: Path, work: Path
) -> None:
    """The stack has never been fine-tuned: ZenML's store holds no production version, so the
    export stores nothing and says how to make one (a trained stack's export runs in
    ``test_llm_up``, which serves the stored model)."""
    done = run_in_stack(stack, ["-m", "services.export"], extra_env=_store(work), check=False)
    assert done.returncode == 3, done.stderr[-3000:]
    assert "has no version at stage 'production'" in done.stderr
    assert "python -m pipelines.run --pipeline train_assistant" in done.stderr
    assert run_json(stack, LISTED, extra_env=_store(work)) == []


def test_ready_live_and_models(server: str) -> None:
    assert get(server + "/readyz")[0] == 200
    assert get(server + "/livez")[0] == 200
    status, text = get(server + "/v1/models")
    assert status == 200
    assert [m["id"] for m in json.loads(text)["data"]] == [MODEL]


def test_chat_answer_has_openai_shape(server: str) -> None:
    status, answer = post(server + "/v1/chat/completions", chat())
    assert status == 200, answer
    assert answer["object"] == "chat.completion"
    assert answer["id"].startswith("chatcmpl-")
    assert answer["model"] == MODEL
    (choice,) = answer["choices"]
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str) and choice["message"]["content"]
    assert choice["finish_reason"] in ("stop", "length")
    usage = answer["usage"]
    assert usage["completion_tokens"] <= 12
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_completion_answer_has_openai_shape(server: str) -> None:
    body = {"prompt": "Refunds are", "max_tokens": 8, "temperature": 0, "model": MODEL}
    status, answer = post(server + "/v1/completions", body)
    assert status == 200, answer
    assert answer["object"] == "text_completion"
    assert answer["id"].startswith("cmpl-")
    (choice,) = answer["choices"]
    assert isinstance(choice["text"], str)
    assert choice["finish_reason"] in ("stop", "length")
    assert answer["usage"]["completion_tokens"] <= 8


def test_greedy_decoding_is_deterministic(server: str) -> None:
    first = post(server + "/v1/chat/completions", chat())[1]
    second = post(server + "/v1/chat/completions", chat())[1]
    assert first["choices"][0]["message"] == second["choices"][0]["message"]


def _chat_text(events: list[Any]) -> tuple[str, str]:
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    reasons = [c["choices"][0]["finish_reason"] for c in chunks]
    assert all(r is None for r in reasons[:-1]) and reasons[-1] in ("stop", "length")
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    return text, reasons[-1]


@pytest.mark.parametrize(
    "sampling",
    [{"temperature": 0}, {"temperature": 1.0, "top_p": 0.9, "seed": 7}],
    ids=["greedy", "seeded-sampling"],
)
def test_chat_stream_joins_to_the_non_streaming_answer(
    server: str, sampling: dict[str, Any]
) -> None:
    body = chat(max_tokens=MAX_TOKENS, **sampling)
    status, answer = post(server + "/v1/chat/completions", body)
    assert status == 200, answer
    kind, events = stream(server + "/v1/chat/completions", body)
    assert kind.startswith("text/event-stream")
    assert len(events) > 3  # role, several deltas, finish, [DONE]
    text, reason = _chat_text(events)
    assert text == answer["choices"][0]["message"]["content"]
    assert reason == answer["choices"][0]["finish_reason"]


def test_completion_stream_joins_to_the_non_streaming_answer(server: str) -> None:
    body = {"prompt": "The service answers", "max_tokens": 16, "temperature": 0}
    status, answer = post(server + "/v1/completions", body)
    assert status == 200, answer
    kind, events = stream(
        server + "/v1/completions", {**body, "stream_options": {"include_usage": True}}
    )
    assert kind.startswith("text/event-stream")
    assert events[-1] == "[DONE]"
    *chunks, usage_chunk = events[:-1]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert "".join(c["choices"][0]["text"] for c in chunks) == answer["choices"][0]["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == answer["choices"][0]["finish_reason"]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"] == answer["usage"]


# -- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "body", "status", "param", "code"),
    [
        (
            "chat/completions",
            chat(max_tokens=MAX_TOKENS + 1),
            400,
            "max_tokens",
            "max_tokens_exceeded",
        ),
        (
            "chat/completions",
            chat(max_tokens=None, max_completion_tokens=MAX_TOKENS + 1),
            400,
            "max_completion_tokens",
            "max_tokens_exceeded",
        ),
        (
            "completions",
            {"prompt": "Hi", "max_tokens": MAX_TOKENS + 1},
            400,
            "max_tokens",
            "max_tokens_exceeded",
        ),
        (
            "chat/completions",
            chat(messages=[{"role": "user", "content": LONG}], max_tokens=MAX_TOKENS),
            400,
            "messages",
            "context_length_exceeded",
        ),
        (
            "completions",
            {"prompt": LONG, "max_tokens": MAX_TOKENS},
            400,
            "prompt",
            "context_length_exceeded",
        ),
        ("chat/completions", chat(messages=[]), 400, "messages", None),
        (
            "chat/completions",
            chat(messages=[{"role": "robot", "content": "Hi"}]),
            400,
            "messages[0].role",
            None,
        ),
        (
            "chat/completions",
            chat(messages=[HELLO[0], {"role": "tool", "content": "x"}]),
            400,
            "messages[1].role",
            None,
        ),
        ("chat/completions", chat(max_tokens=0), 400, "max_tokens", None),
        ("chat/completions", chat(n=2), 400, "n", None),
        ("chat/completions", chat(model="another-model"), 404, "model", "model_not_found"),
        (
            "completions",
            {"prompt": "Hi", "model": "another-model"},
            404,
            "model",
            "model_not_found",
        ),
    ],
    ids=[
        "max-tokens",
        "max-completion-tokens",
        "completion-max-tokens",
        "chat-context",
        "completion-context",
        "empty-messages",
        "unknown-role",
        "tool-role",
        "zero-tokens",
        "n",
        "model",
        "completion-model",
    ],
)
def test_limits_are_refused_naming_the_field(
    server: str, route: str, body: dict[str, Any], status: int, param: str, code: str | None
) -> None:
    got, answer = post(f"{server}/v1/{route}", {k: v for k, v in body.items() if v is not None})
    assert got == status, answer
    error = answer["error"]
    assert error["param"] == param
    assert error["code"] == code
    assert error["type"] == "invalid_request_error"
    assert param.split("[")[0] in error["message"] or param == "model"


def test_context_error_counts_both_parts(server: str) -> None:
    body = chat(messages=[{"role": "user", "content": LONG}], max_tokens=MAX_TOKENS)
    message = post(server + "/v1/chat/completions", body)[1]["error"]["message"]
    assert f"maximum context length is {MAX_MODEL_LEN} tokens" in message
    assert f"{MAX_TOKENS} in max_tokens" in message


def test_stream_refusal_is_json_not_a_stream(server: str) -> None:
    status, answer = post(server + "/v1/chat/completions", chat(max_tokens=999, stream=True))
    assert status == 400 and answer["error"]["param"] == "max_tokens"


def test_invalid_json_is_a_400_in_openai_format(server: str) -> None:
    request = urllib.request.Request(
        server + "/v1/chat/completions",
        b"{not json",
        {"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert json.loads(caught.value.read())["error"]["type"] == "invalid_request_error"


# -- metrics and offline --------------------------------------------------------------------


def _samples(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


# -- the load test --------------------------------------------------------------------------

CHAT_OK = 'mlopsgen_llm_requests_total{endpoint="/v1/chat/completions",outcome="ok"}'
CHAT_TOKENS = 'mlopsgen_llm_generated_tokens_total{endpoint="/v1/chat/completions"}'


def _loadtest(stack: Path, work: Path, server: str, *args: str) -> dict[str, Any]:
    """``python -m services.loadtest --json`` against the server; its report (exit 0 asserted)."""
    done = run_in_stack(
        stack,
        ["-m", "services.loadtest", "--url", server, "--json", *args],
        extra_env=_offline(work),
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_the_load_test_streams_concurrent_requests_and_reports_each(
    stack: Path, work: Path, server: str
) -> None:
    before = _samples(get(server + "/metrics")[1])
    report = _loadtest(stack, work, server, "--concurrency", "2", "--requests", "6", "--seed", "3")
    after = _samples(get(server + "/metrics")[1])
    assert report["passed"] and report["errors"] == 0 and report["outcomes"]["ok"] == 6
    assert (report["concurrency"], report["requests"], report["engine"]) == (2, 6, "cpu")
    assert report["comparison"] == "informational"
    for result in report["results"]:
        assert result["outcome"] == "ok" and result["status"] == 200 and result["tokens"] > 0
        assert 0 < result["ttft_s"] <= result["ttlt_s"]
        assert result["tpot_s"] is None or result["tpot_s"] >= 0
    assert report["ttft_ms"]["p50"] <= report["ttft_ms"]["p95"] <= report["ttlt_ms"]["p95"]
    assert report["output_tokens"] == sum(r["tokens"] for r in report["results"]) > 0
    assert report["requests_per_s"] > 0 and report["output_tokens_per_s"] > 0
    # the plan's token objectives and figures are beside the measures
    plan = json.loads((stack / "plan.json").read_text("utf-8"))
    (llm,) = [m["llm"] for m in plan["models"] if m["name"] == MODEL]
    assert report["ttft"]["objective_ms"] == llm["slo_ttft_p95_ms"]
    assert report["tpot"]["planned_ms"] == llm["tpot_p95_ms"]
    assert report["planned_concurrency"] == plan["serving"]["hpa"]["target_running_sequences"]
    # the server counted the same requests and tokens (the usage chunks' counts)
    assert after[CHAT_OK] - before.get(CHAT_OK, 0) == 6
    assert after[CHAT_TOKENS] - before.get(CHAT_TOKENS, 0) == report["output_tokens"]


def test_the_load_test_caps_the_plans_concurrency_on_the_cpu_engine(
    stack: Path, work: Path, server: str
) -> None:
    report = _loadtest(stack, work, server, "--requests", "2")
    assert report["passed"] and report["requests"] == 2 and report["concurrency"] == 2
    assert "for the CPU engine" in report["concurrency_reason"]


def test_metrics_show_the_llm_measures(server: str) -> None:
    post(server + "/v1/chat/completions", chat())
    post(server + "/v1/chat/completions", chat(messages=[]))
    body = {"prompt": "The service answers", "max_tokens": 4, "temperature": 0}
    stream(server + "/v1/completions", body)
    status, text = get(server + "/metrics")
    assert status == 200
    samples = _samples(text)
    chat_route, completion_route = 'endpoint="/v1/chat/completions"', 'endpoint="/v1/completions"'
    for name in (
        "mlopsgen_llm_time_to_first_token_seconds_count",
        "mlopsgen_llm_time_per_output_token_seconds_count",
        "mlopsgen_llm_request_seconds_count",
        "mlopsgen_llm_generated_tokens_total",
        "mlopsgen_llm_prompt_tokens_total",
    ):
        for route in (chat_route, completion_route):
            assert samples.get(f"{name}{{{route}}}", 0) > 0, (name, route)
    assert samples[f'mlopsgen_llm_requests_total{{{chat_route},outcome="ok"}}'] >= 1
    assert samples[f'mlopsgen_llm_requests_total{{{chat_route},outcome="invalid"}}'] >= 1
    assert samples[f'mlopsgen_llm_requests_total{{{completion_route},outcome="ok"}}'] >= 1
    assert any(k.startswith("mlopsgen_llm_finished_total{") for k in samples)
    # every request above has ended: none is in the engine (the gauge sums the live workers)
    for route in (chat_route, completion_route):
        assert samples[f"mlopsgen_llm_requests_running{{{route}}}"] == 0


def test_the_server_said_which_engine_and_limits_it_serves(stack: Path, server: str) -> None:
    output = output_of(stack, server)
    assert f"with the cpu engine: max_tokens {MAX_TOKENS}, max_model_len {MAX_MODEL_LEN}" in output


def test_nothing_was_downloaded(server: str, work: Path) -> None:
    home = work / "hf-home"
    downloads = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert downloads == []


# -- vLLM engine arguments ------------------------------------------------------------------

VLLM_PATH = os.environ.get("MLOPSGEN_VLLM_PATH")
BAD_ARGS = {
    "max_num_seq": 3,  # misspelt
    "max_num_seqs": 0,
    "gpu_memory_utilization": 1.5,
    "tensor_parallel_size": 0,
    "dtype": "float77",
    "quantization": "zzz",
}
ENGINE_ARGS = """
import json
from services.config import ServiceConfig
from services.engines import vllm_engine_args
print(json.dumps(vllm_engine_args(ServiceConfig.load())))
"""


@pytest.fixture(scope="module")
def engine_args(stack: Path, work: Path, model_dir: Path) -> dict[str, Any]:
    """The arguments the stack's vLLM engine gets from the plan, for the tiny model."""
    args: dict[str, Any] = run_json(
        stack,
        ENGINE_ARGS,
        extra_env=_offline(work, {"MLOPSGEN_LLM_MODEL_DIR": str(model_dir)}),
    )
    return args


def test_the_engine_args_carry_the_plans_settings(engine_args: dict[str, Any]) -> None:
    assert engine_args["max_num_seqs"] == 78
    assert engine_args["gpu_memory_utilization"] == 0.9
    assert engine_args["tensor_parallel_size"] == 1
    assert engine_args["dtype"] == "float16"
    assert engine_args["quantization"] is None
    assert engine_args["max_model_len"] == 256  # the tiny model's positions
    assert engine_args["served_model_name"] == [MODEL]


def _wheel() -> Path:
    given = os.environ.get("MLOPSGEN_VLLM_WHEEL")
    if given:
        return Path(given)
    cached = vllm_args.cached_wheel()
    if cached is None:
        pytest.skip(
            "no vLLM wheel: set MLOPSGEN_VLLM_WHEEL, or run `python tests/functional/"
            f"vllm_args.py fetch` once (336 MB into {vllm_args.wheel_cache()})"
        )
    return cached


def _check(work: Path, args: dict[str, Any], method: str) -> dict[str, Any]:
    if method == "wheel":
        return vllm_args.check_with_wheel(args, _wheel()).to_json()
    if not VLLM_PATH:
        pytest.skip("MLOPSGEN_VLLM_PATH is not set (vLLM installed --no-deps beside CPU torch)")
    path = work / "engine-args.json"
    path.write_text(json.dumps(args), encoding="utf-8")
    script = Path(vllm_args.__file__)
    env = _offline(work, {"PYTHONPATH": VLLM_PATH, "VLLM_TARGET_DEVICE": "cpu"})
    done = subprocess.run(
        [str(stack_python()), str(script), "check", str(path)],
        cwd=work,
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-6000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("method", ["wheel", "vllm"])
def test_generated_engine_args_are_accepted_by_vllm(
    work: Path, engine_args: dict[str, Any], method: str
) -> None:
    report = _check(work, engine_args, method)
    assert report["method"] == method and report["vllm_version"] == vllm_args.VLLM_VERSION
    assert report["fields"] > 100
    assert report["problems"] == [] and report["ok"]


@pytest.mark.parametrize("method", ["wheel", "vllm"])
def test_bad_engine_args_are_refused_naming_each(
    work: Path, engine_args: dict[str, Any], method: str
) -> None:
    report = _check(work, {**engine_args, **BAD_ARGS}, method)
    assert not report["ok"]
    assert {p["arg"] for p in report["problems"]} == set(BAD_ARGS)


@pytest.mark.parametrize("method", ["wheel", "vllm"])
def test_max_model_len_past_the_model_is_refused(
    work: Path, engine_args: dict[str, Any], method: str
) -> None:
    report = _check(work, {**engine_args, "max_model_len": 4096}, method)
    assert [p["arg"] for p in report["problems"]] == ["max_model_len"]


@pytest.mark.parametrize("quantization", sorted(q for q in QUANTIZATIONS.values() if q))
def test_the_planned_quantizations_are_vllm_methods(
    engine_args: dict[str, Any], quantization: str
) -> None:
    """What the target writes for int8 and int4 weights is one of vLLM 0.33's methods."""
    report = vllm_args.check_with_wheel({**engine_args, "quantization": quantization}, _wheel())
    assert report.ok, report.problems
