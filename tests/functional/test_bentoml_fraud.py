"""The fraud-detection service serves for real: train, export, ``bentoml serve``, predict.

The stack is built and trained once (ZenML, Feast, the three fraud models); the production
models are exported to a BentoML store outside the stack and served on a free local port
with one worker. Requests are checked end to end: known and unknown users get a score and a
decision, every kind of bad payload is a 4xx naming the field, the Prometheus metrics are
served. A stack that was never trained has nothing to export (exit 3) and its service
refuses to start, saying which commands fix it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.stack_env import run_in_stack, run_json, stack_environment, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

SPEC = SPECS / "fraud-detection.yaml"
ROWS = "4000"
SERVICE = "services.fraud_detection.service:FraudDetection"
MODELS = ("fraud_xgb", "fraud_lgbm", "txn_anomaly")

pytestmark = pytest.mark.slow

#: Users and merchants the run put in the online store (their latest feature rows).
KNOWN_ENTITIES = """
import json
import pandas as pd
users = pd.read_parquet("data/features/user_velocity.parquet")
merchants = pd.read_parquet("data/features/merchant_risk.parquet")
latest = users.sort_values("event_timestamp").groupby("user_id").tail(1)
print(json.dumps({
    "users": [str(u) for u in latest["user_id"].tail(3)],
    "merchants": [str(m) for m in merchants["merchant_id"].tail(3)],
}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(stack: Path, port: int, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = stack_environment(
        stack,
        {"MLOPSGEN_SERVICE_WORKERS": "1", "MLOPSGEN_SERVICE_TIMEOUT_S": "60", **(extra or {})},
    )
    command = [str(stack_python()), "-m", "bentoml", "serve", SERVICE]
    return subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=stack,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _post(url: str, body: object) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _wait_ready(server: subprocess.Popen[str], base: str) -> None:
    """Poll ``/readyz`` until it answers 200, or fail with the output if the server exits
    (a server that fails to start exits: it never hangs, so no clock bounds the wait)."""
    while server.poll() is None:
        try:
            if _get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1.0)
    output = server.stdout.read() if server.stdout else ""
    pytest.fail(f"bentoml serve exited {server.returncode}:\n{output[-6000:]}")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    stack = build(SPEC, tmp_path_factory.mktemp("bentoml-fraud") / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    return stack


@pytest.fixture(scope="module")
def exported(trained: Path) -> str:
    done = run_in_stack(trained, ["-m", "services.export"])
    return done.stdout


@pytest.fixture(scope="module")
def base_url(trained: Path, exported: str) -> Iterator[str]:
    port = _free_port()
    server = _serve(trained, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(server, base)
        yield base
    finally:
        server.terminate()
        server.communicate()


def _row(user: str, merchant: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "transaction_id": f"t-{user}",
        "user_id": user,
        "merchant_id": merchant,
        "amount_usd": 125.0,
        "currency": "USD",
        "country": "US",
        "channel": "web",
    }
    row.update(changes)
    return row


def test_export_saves_each_production_model(exported: str) -> None:
    lines = exported.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == list(MODELS)
    assert all("zenml version 1 -> bentoml model" in line for line in lines)


def test_known_and_unknown_users_get_a_score_and_a_decision(trained: Path, base_url: str) -> None:
    known = run_json(trained, KNOWN_ENTITIES)
    rows = [_row(u, m) for u, m in zip(known["users"], known["merchants"], strict=True)]
    rows.append(_row("never-seen-user", "never-seen-merchant", amount_usd=9000.0))
    status, answers = _post(f"{base_url}/predict", {"rows": rows})
    assert status == 200, answers
    assert len(answers) == len(rows)
    for answer in answers:
        assert 0.0 <= answer["prediction"] <= 1.0
        assert answer["decision"] in ("approve", "review", "decline")
        assert isinstance(answer["rules_fired"], list)
        assert sorted(answer["scores"]) == sorted(MODELS)
        # the ensemble's score is the planned weighted mean of the two classifiers'
        weighted = 0.6 * answer["scores"]["fraud_xgb"] + 0.4 * answer["scores"]["fraud_lgbm"]
        assert answer["prediction"] == pytest.approx(weighted)


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "XXX"), ("country", "ZZ"), ("amount_usd", -1.0), ("amount_usd", 2e6)],
)
def test_a_bad_value_is_a_client_error_naming_the_field(
    base_url: str, field: str, value: object
) -> None:
    status, body = _post(f"{base_url}/predict", {"rows": [_row("u", "m", **{field: value})]})
    assert 400 <= status < 500
    assert field in str(body)


def test_a_missing_field_is_a_client_error_naming_it(base_url: str) -> None:
    row = _row("u", "m")
    del row["merchant_id"]
    status, body = _post(f"{base_url}/predict", {"rows": [row]})
    assert 400 <= status < 500
    assert "merchant_id" in str(body)


def test_metrics_are_served(base_url: str) -> None:
    _post(f"{base_url}/predict", {"rows": [_row("u", "m")]})
    _post(f"{base_url}/predict", {"rows": [_row("u", "m", currency="XXX")]})
    status, text = _get(f"{base_url}/metrics")
    assert status == 200
    assert 'mlopsgen_requests_total{endpoint="predict",outcome="ok"}' in text
    assert 'mlopsgen_requests_total{endpoint="predict",outcome="invalid"}' in text
    for name in (
        "mlopsgen_request_latency_seconds_bucket",
        "mlopsgen_batch_size_bucket",
        "mlopsgen_shed_requests_total",
    ):
        assert name in text


SHED = """
import asyncio, json
from services.shedding import SheddingMiddleware

async def slow(scope, receive, send):
    await asyncio.sleep(0.2)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})

async def main():
    app = SheddingMiddleware(slow, limit=2)
    statuses = []
    async def call():
        async def receive():
            return {"type": "http.request", "body": b""}
        async def send(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
        await app({"type": "http", "path": "/predict"}, receive, send)
    await asyncio.gather(*(call() for _ in range(5)))
    await call()
    return statuses

print(json.dumps(sorted(asyncio.run(main()))))
"""


def test_a_worker_sheds_above_its_bound(trained: Path) -> None:
    # five at once against a bound of two: three refused; the next one, alone, is served
    assert run_json(trained, SHED) == [200, 200, 200, 503, 503, 503]


def test_an_untrained_stack_exports_nothing_and_its_service_refuses_to_start(
    tmp_path: Path,
) -> None:
    stack_python()
    stack = build(SPEC, tmp_path / "untrained")
    done = run_in_stack(stack, ["-m", "services.export"], check=False)
    assert done.returncode == 3, done.stderr[-4000:]
    assert "fraud_xgb" in done.stderr and "no production version" in done.stderr
    # the service fails while importing, so the server exits on its own
    server = _serve(stack, _free_port())
    output, _ = server.communicate()
    assert server.returncode != 0
    assert "ModelsMissing" in output
    assert "python -m services.export" in output
    assert "fraud_xgb" in output
