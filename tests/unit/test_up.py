"""``mlopsgen up``'s pure parts: names, ports, the serving summary, latency and its tables."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from rich.console import Console

from mlopsgen.run.runner import RunOptions
from mlopsgen.up import (
    Latency,
    ServeError,
    ServingSummary,
    UpError,
    UpOptions,
    batch_pipelines,
    check_port,
    free_port,
    percentile,
    service_target,
)
from mlopsgen.up.display import cell, latency_table, loadtest_line, predictions_table
from mlopsgen.up.server import HOST, Server, bentoml_home, serve_command, serve_environment
from tests.unit.stack_modules import REFERENCE_PLANS, read_plan


def _text(renderable: object) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize(
    ("name", "package", "cls"),
    [
        ("fraud-detection", "fraud_detection", "FraudDetection"),
        ("nlp", "nlp", "Nlp"),
        ("time-series-forecasting", "time_series_forecasting", "TimeSeriesForecasting"),
        ("class", "class_", "Class"),
        ("ab-2-test", "ab_2_test", "Ab2Test"),
    ],
)
def test_the_service_module_and_class_follow_the_service_name(
    name: str, package: str, cls: str
) -> None:
    assert service_target(name) == (package, cls)
    assert package.isidentifier() and cls.isidentifier()


def test_a_free_port_can_be_bound_and_a_busy_one_is_refused() -> None:
    port = free_port()
    assert check_port(port) == port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, port))
        busy.listen()
        with pytest.raises(ServeError, match=f"cannot serve on {HOST}:{port}") as error:
            check_port(port)
    assert error.value.exit_code == 2 and "another --port" in str(error.value.hint)


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_a_port_out_of_range_is_a_usage_error(port: int) -> None:
    with pytest.raises(ServeError, match="not a TCP port") as error:
        check_port(port)
    assert error.value.exit_code == 2


def test_the_server_runs_on_loopback_with_its_store_in_the_runtime_folder(tmp_path: Path) -> None:
    command = serve_command(Path("/env/bin/python"), "fraud_detection", "FraudDetection", 4321)
    assert command == [
        "/env/bin/python", "-m", "bentoml", "serve",
        "services.fraud_detection.service:FraudDetection", "--host", "127.0.0.1", "--port", "4321",
    ]  # fmt: skip
    env = serve_environment(tmp_path)
    assert env["BENTOML_HOME"] == str(tmp_path.resolve() / ".mlopsgen" / "bentoml")
    assert Path(env["BENTOML_HOME"]) == bentoml_home(tmp_path)
    assert env["BENTOML_DO_NOT_TRACK"] == "True"
    assert env["ZENML_CONFIG_PATH"] == str(tmp_path.resolve() / ".zenml")


def test_a_server_that_cannot_start_says_so(tmp_path: Path) -> None:
    server = Server([str(tmp_path / "missing")], tmp_path, {}, 1, tmp_path / "serve.log")
    with pytest.raises(ServeError, match="cannot start"):
        server.start()
    assert server.stop() is None and not server.alive()


@pytest.mark.parametrize("plan_path", REFERENCE_PLANS, ids=lambda p: p.parent.name)
def test_the_summary_of_a_reference_plan(plan_path: Path) -> None:
    plan = read_plan(plan_path)
    summary = ServingSummary.from_plan(plan)
    serving = plan["serving"]
    assert summary.service_name == serving["service_name"]
    assert summary.realtime is serving["realtime"]
    assert summary.latency_p95_ms == serving["latency_p95_ms"]
    assert summary.replicas == serving["capacity"]["replicas"]
    assert summary.per_replica_rps == serving["capacity"]["per_replica_rps"]
    assert summary.batch is (serving["batch"] is not None)
    assert summary.target[0].isidentifier()
    assert set(summary.id_fields) <= {f["name"] for f in serving["request_fields"]}


def test_a_batch_only_plan_has_no_realtime_service() -> None:
    plan = {"system": {"name": "nightly"},
            "serving": {"mode": "batch", "realtime": False, "capacity": None,
                        "latency_p95_ms": None, "batch": {"cron": "0 2 * * *"}}}  # fmt: skip
    summary = ServingSummary.from_plan(plan)
    assert not summary.realtime and summary.batch and summary.replicas is None
    assert summary.service_name == "nightly"


def test_a_stack_without_a_readable_plan_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UpError, match="cannot read the serving plan") as error:
        ServingSummary.read(tmp_path)
    assert "mlopsgen build" in str(error.value.hint)
    (tmp_path / "plan.json").write_text(json.dumps({"serving": {}}))
    with pytest.raises(UpError):
        ServingSummary.read(tmp_path)


def test_batch_pipelines_follow_the_modules_keyword_names_included(tmp_path: Path) -> None:
    batch = tmp_path / "pipelines" / "batch"
    batch.mkdir(parents=True)
    for name in ("__init__", "scorer", "class_", "item_"):
        (batch / f"{name}.py").write_text("")
    assert batch_pipelines(tmp_path) == ["batch_class", "batch_item_", "batch_scorer"]
    assert batch_pipelines(tmp_path / "none") == []


def test_up_trains_with_the_options_run_takes() -> None:
    options = UpOptions(Path("s.yaml"), Path("out"), once=True, port=1, rows=500)
    assert options.run_options() == RunOptions(Path("s.yaml"), Path("out"), None, 500, None)
    assert options.run_options("batch_x").pipeline == "batch_x"


def test_latency_percentiles_are_measured_values() -> None:
    latency = Latency.of([i / 1000 for i in range(1, 201)])
    assert (latency.count, latency.p50_ms, latency.p95_ms) == (200, 100.0, 190.0)
    assert latency.meets(190.0) is True and latency.meets(189.9) is False
    assert latency.meets(None) is None
    assert percentile([5.0, 1.0], 50) == 1.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_cells_are_short_and_readable() -> None:
    assert cell(None) == "-" and cell(True) == "yes" and cell(0.123456) == "0.1235"
    assert cell(["a", "b"]) == "a, b" and cell([]) == "-"
    assert cell({"x": 1.5}) == "x: 1.5"
    assert len(cell("x" * 500)) == 48


def test_the_predictions_table_shows_the_ids_and_the_answers() -> None:
    rows = [{"transaction_id": "t0-0", "user_id": "u3", "amount_usd": 12.5}]
    answers = [{"prediction": 0.91, "decision": "decline", "rules_fired": ["sanctioned"],
                "variant": "control"}]  # fmt: skip
    text = _text(predictions_table(rows, answers, ("transaction_id", "user_id", "merchant_id")))
    for expected in ("transaction_id", "user_id", "t0-0", "u3", "0.91", "decline",
                     "sanctioned", "control"):  # fmt: skip
        assert expected in text
    assert "cached" not in text and "amount_usd" not in text


def test_a_bare_answer_is_shown_as_the_prediction() -> None:
    text = _text(predictions_table([{"id": "a"}], [3.5], ("id",)))
    assert "prediction" in text and "3.5" in text


def test_the_latency_table_puts_the_measure_beside_the_plan() -> None:
    summary = ServingSummary("fraud-detection", "realtime", True, False, 50.0, 156, 1421.8, ())
    text = _text(latency_table(Latency(200, 2.61, 4.2), summary))
    assert "200 sequential requests" in text
    assert "2.61 ms" in text and "4.2 ms" in text and "50 ms (within the objective)" in text
    assert "156" in text and "1,422 rps" in text
    slow = _text(latency_table(Latency(200, 60.0, 80.0), summary))
    assert "above the objective" in slow


def test_the_load_test_line_runs_the_stacks_module_against_the_url() -> None:
    line = loadtest_line("/env/bin/python", "/stacks/fraud", "http://127.0.0.1:3000")
    assert line == (
        "load test: cd /stacks/fraud && /env/bin/python -m services.loadtest "
        "--url http://127.0.0.1:3000"
    )
