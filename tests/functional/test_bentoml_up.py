"""The serving half of ``mlopsgen up`` for real: sample requests from every reference stack,
and a real ``bentoml serve`` driven through start, readiness, predictions, latency, load test
and stop.

The samples run in each reference stack with the stack's interpreter: the same arguments give
the same bodies, every value fits its request field, and every entity key is one the
synthetic training data holds (so the service's Feast reads find features). The serving test
writes a small stand-in service into a built stack (``services/standin/service.py``: a
``@bentoml.service`` whose ``POST /predict`` takes the contract's ``{"rows": [...]}``,
refuses a row missing a request field and answers one object per row) and drives it with
``mlopsgen.up``'s own server, client and latency check, then the stack's load test; BentoML
itself is never replaced.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.up import Client, ServeError, Server, free_port, measure, sample_bodies
from mlopsgen.up.probe import ProbeError
from mlopsgen.up.server import serve_command, serve_environment
from tests.conftest import REFERENCE_SPECS, REPO
from tests.e2e.fake_pipelines import ensure_entry_point, fake_interpreter, stand_in_service
from tests.functional.stack_env import run_in_stack, stack_python
from tests.functional.zenml_stacks import build

pytestmark = pytest.mark.slow

SERVICES = REPO / "templates" / "bentoml" / "services"
FRAUD = REPO / "specs" / "fraud-detection.yaml"
#: Rows of the synthetic data the key-space check writes (and tells the samples about).
TRAIN_ROWS = 2000

STAND_IN = '''
"""A stand-in service following the contract's request and response shapes."""

import json
from pathlib import Path
from typing import Any

import bentoml
from bentoml.exceptions import InvalidArgument

FIELDS = [
    f["name"]
    for f in json.loads((Path(__file__).parents[2] / "plan.json").read_text())["serving"][
        "request_fields"
    ]
]


@bentoml.service(name="standin", logging={"access": {"enabled": False}})
class StandIn:
    @bentoml.api
    def predict(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            missing = [f for f in FIELDS if f not in row]
            if missing:
                raise InvalidArgument(f"row lacks {missing}")
        return [
            {"prediction": min(1.0, float(row.get("amount_usd") or 0.0) / 1000.0),
             "decision": "approve", "model": "standin"}
            for row in rows
        ]
'''

BROKEN = """
raise RuntimeError("the stand-in cannot load its model")
"""

RECORD = """
from pipelines.data import read_source
from pipelines.stack_plan import load_plan

plan = load_plan()
for source in plan.sources:
    read_source(plan, source.name, ROWS, "synthetic")
"""

CHECK = """
import base64, io, json, sys
import numpy as np
import pandas as pd
from pipelines.stack_plan import load_plan
from pipelines.synthetic import generate

plan = load_plan()
rows = [json.loads(line)["rows"][0] for line in sys.stdin]
fields = plan.raw["serving"]["request_fields"]
report = {"missing_keys": {}, "images": []}
for field in fields:
    if field["role"] != "entity":
        continue
    name = field["name"]
    sources = [s for s in plan.sources if any(f.name == name for f in s.fields)]
    known = None
    for source in sources:
        if sys.argv[1] == "recorded":
            frame = pd.read_parquet(f"data/sources/{source.name}.parquet", columns=[name])
        else:
            frame = generate(plan, source, ROWS, seed=7)
        keys = set(frame[name].astype(str))
        known = keys if known is None else known & keys
    report["missing_keys"][name] = sorted({r[name] for r in rows} - known)
for field in fields:
    if field["type"] == "image":
        for row in rows[:3]:
            pixels = np.load(io.BytesIO(base64.b64decode(row[field["name"]])), allow_pickle=False)
            report["images"].append([list(pixels.shape), str(pixels.dtype)])
print(json.dumps(report))
"""


def _with_services(stack: Path) -> Path:
    """``stack`` with the sample and load-test modules (as the BentoML target writes them)."""
    services = stack / "services"
    services.mkdir(exist_ok=True)
    for name in ("samples.py", "loadtest.py"):
        if not (services / name).exists():
            shutil.copy(SERVICES / name, services / name)
    (services / "__init__.py").touch()
    return stack


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every reference stack, built once for the module."""
    root = tmp_path_factory.mktemp("up")
    return {s.stem: _with_services(build(s, root / s.stem)) for s in REFERENCE_SPECS}


def _samples(stack: Path, *args: str) -> list[dict[str, Any]]:
    done = run_in_stack(stack, ["-m", "services.samples", *args])
    return [json.loads(line) for line in done.stdout.splitlines()]


def _valid(field: dict[str, Any], value: Any) -> bool:
    if value is None:
        return bool(field["nullable"]) and field["role"] not in ("id", "entity")
    kind = field["type"]
    if kind in ("float", "integer"):
        low = field["min"] if field["min"] is not None else float("-inf")
        high = field["max"] if field["max"] is not None else float("inf")
        typed = isinstance(value, float if kind == "float" else int)
        return typed and not isinstance(value, bool) and bool(low <= value <= high)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "category":
        return value in field["values"]
    return isinstance(value, str) and value.strip() != ""


@pytest.mark.parametrize("name", [s.stem for s in REFERENCE_SPECS])
def test_samples_are_deterministic_valid_and_use_the_recorded_training_keys(
    stacks: dict[str, Path], name: str
) -> None:
    stack = stacks[name]
    run_in_stack(stack, ["-c", RECORD.replace("ROWS", str(TRAIN_ROWS))])  # training's data step
    plan = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    fields = plan["serving"]["request_fields"]
    args = ("--count", "40", "--seed", "3")
    bodies = _samples(stack, *args)
    assert bodies == _samples(stack, *args), "the same seed must print the same bodies"
    assert bodies != _samples(stack, "--count", "40", "--seed", "4")
    assert len(bodies) == 40 and all(len(b["rows"]) == 1 for b in bodies)
    rows = [b["rows"][0] for b in bodies]
    for row in rows:
        assert list(row) == [f["name"] for f in fields]
        bad = {f["name"]: row[f["name"]] for f in fields if not _valid(f, row[f["name"]])}
        assert bad == {}, f"invalid values {str(bad)[:300]}"
    for field in fields:
        if field["role"] == "id":
            assert len({r[field["name"]] for r in rows}) == len(rows)
    routing = plan["serving"]["routing"]
    if routing:
        declared = [r[routing["key"]] for r in rows if r[routing["key"]] is not None]
        assert declared and set(declared) <= set(routing["partition_values"])
    report = _check(stack, bodies, "recorded")
    assert all(not missing for missing in report["missing_keys"].values()), report
    for field in fields:
        if field["type"] == "image":
            shape = [field["height"], field["width"], field["channels"]]
            assert report["images"] == [[shape, "uint8"]] * 3


def _check(stack: Path, bodies: list[dict[str, Any]], keys: str) -> dict[str, Any]:
    """Entity keys of ``bodies`` missing from the training data (``recorded`` under
    ``data/sources/``, or ``generated`` afresh), and the shape of the first images."""
    done = subprocess.run(
        [str(stack_python()), "-c", CHECK.replace("ROWS", str(TRAIN_ROWS)), keys],
        cwd=stack,
        env=serve_environment(stack),
        input="\n".join(json.dumps(b) for b in bodies),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


@pytest.mark.parametrize("name", ["fraud-detection", "time-series-forecasting"])
def test_before_any_run_keys_come_from_the_synthetic_key_space(tmp_path: Path, name: str) -> None:
    stack = _with_services(build(REPO / "specs" / f"{name}.yaml", tmp_path / name))
    bodies = _samples(stack, "--count", "40", "--seed", "5", "--train-rows", str(TRAIN_ROWS))
    report = _check(stack, bodies, "generated")
    assert report["missing_keys"] and all(not m for m in report["missing_keys"].values()), report


def _server(stack: Path, package: str, source: str) -> Server:
    target = stack / "services" / package
    target.mkdir(exist_ok=True)
    (target / "__init__.py").touch()
    (target / "service.py").write_text(source, encoding="utf-8")
    port = free_port()
    command = serve_command(stack_python(), f"services.{package}.service:StandIn", port)
    log = stack / ".mlopsgen" / f"serve-{package}.log"
    return Server(command, stack, serve_environment(stack), port, log)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_real_service_is_served_checked_load_tested_and_stopped(
    stacks: dict[str, Path],
) -> None:
    stack = stacks["fraud-detection"]
    python = stack_python()
    server = _server(stack, "standin", STAND_IN)
    with server:
        assert server.wait_ready(math.inf) >= 0.0  # a server that fails exits: no timeout
        assert server.process is not None
        pgid = server.process.pid
        bodies = sample_bodies(stack, python, 10, seed=1)
        rows = [row for body in bodies[:5] for row in body["rows"]]
        with Client(server.port) as client:
            answers = client.predict({"rows": rows})
            latency = measure(client, bodies, 40)
            with pytest.raises(ProbeError, match="answered 400"):
                client.predict({"rows": [{"transaction_id": "t"}]})
        loaded = run_in_stack(
            stack,
            ["-m", "services.loadtest", "--url", server.url, "--requests", "30", "--rate", "30",
             "--json"],
            check=False,
        )  # fmt: skip
    assert [a["model"] for a in answers] == ["standin"] * 5
    assert all(0.0 <= a["prediction"] <= 1.0 for a in answers)
    assert latency.count == 40 and 0.0 < latency.p50_ms <= latency.p95_ms
    report = json.loads(loaded.stdout.splitlines()[-1])
    assert report["sent"] == 30 and report["error"] == 0
    assert report["ok"] + report["shed"] == 30
    assert loaded.returncode == (0 if report["passed"] else 1)
    assert not server.alive() and _group_gone(pgid), "bentoml serve outlived stop()"
    assert (stack / ".mlopsgen" / "bentoml").is_dir(), "BentoML's home is the runtime folder"


def test_a_service_that_cannot_start_is_reported_with_its_log(stacks: dict[str, Path]) -> None:
    stack = stacks["fraud-detection"]
    server = _server(stack, "broken", BROKEN)
    with server, pytest.raises(ServeError, match="exited with") as error:
        server.wait_ready(math.inf)  # it exits: no timeout needed
    assert "the stand-in cannot load its model" in str(error.value)
    assert str(server.log) in str(error.value.hint)


def test_the_load_test_has_nothing_to_do_without_realtime_serving(
    stacks: dict[str, Path], tmp_path: Path
) -> None:
    stack = stacks["recommendation"]
    plan = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    plan["serving"].update(mode="batch", realtime=False, capacity=None)
    batch = tmp_path / "batch"
    shutil.copytree(stack / "services", batch / "services")
    (batch / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    done = run_in_stack(batch, ["-m", "services.loadtest", "--url", "http://127.0.0.1:9"])
    assert "nothing to load test" in done.stdout


def _cli_interpreter(directory: Path) -> Path:
    """The stack's interpreter for ``mlopsgen up`` with training and export stood in for.

    ``pipelines.run`` is :mod:`tests.e2e.fake_pipelines`' entry point (a promoted run in a
    second), ``services.export`` says it exported, ``bentoml serve`` of any target serves the
    stand-in instead (the stack's own service needs trained models), and everything else (the
    samples) runs in the real stack interpreter.
    """
    wrapper = fake_interpreter(directory)
    script, real = directory / "fake_run.py", shlex.quote(str(stack_python()))
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = pipelines.run ]; then\n'
        f'  shift 2; exec {shlex.quote(sys.executable)} {shlex.quote(str(script))} "$@"\n'
        "fi\n"
        'if [ "$1" = -m ] && [ "$2" = services.export ]; then\n'
        '  echo "exported fraud_xgb"; exit 0\n'
        "fi\n"
        'if [ "$1" = -m ] && [ "$2" = bentoml ] && [ "$3" = serve ]; then\n'
        f'  shift 4; exec {real} -m bentoml serve services.standin.service:StandIn "$@"\n'
        "fi\n"
        f'exec {real} "$@"\n',
        encoding="utf-8",
    )
    return wrapper


def _up_command(stack: Path, *args: str) -> list[str]:
    mlopsgen = Path(sys.executable).parent / "mlopsgen"
    python = _cli_interpreter(stack.parent / f"fake-{stack.name}")
    return [str(mlopsgen), "up", str(FRAUD), "--out", str(stack), "--python", str(python), *args]


def _port_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def served_stack(tmp_path: Path) -> Path:
    """The fraud stack, built, with the stand-in service beside the generated one."""
    stack = _with_services(build(FRAUD, tmp_path / "fraud"))
    ensure_entry_point(stack)
    stand_in_service(stack)
    _server(stack, "standin", STAND_IN)
    return stack


def test_up_once_serves_checks_prints_and_stops(served_stack: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [*_up_command(served_stack, "--once", "--port", str(port))],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "FAKE_OUTCOME": "promoted"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (
        "exported fraud_xgb" in done.stderr and f"ready at http://127.0.0.1:{port}" in done.stderr
    )
    assert "sample predictions" in done.stdout and "standin" in done.stdout
    assert "transaction_id" in done.stdout and "decision" in done.stdout
    assert "latency over 200 sequential requests" in done.stdout
    assert "50 ms" in done.stdout and "1,422 rps" in done.stdout and "156" in done.stdout
    assert "stopping the service (--once)" in done.stdout
    assert "Traceback" not in done.stderr
    assert _port_closed(port), "the server outlived mlopsgen up --once"


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_up_serves_until_ctrl_c_then_stops_cleanly(served_stack: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        _up_command(served_stack, "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "FAKE_OUTCOME": "promoted"},
        # a runner that started the suite in the background ignores SIGINT, and children
        # inherit that: Ctrl-C is what this test sends, so the child takes it as a terminal
        preexec_fn=_interruptible,
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "Ctrl-C stops it" in line:
                break
        assert any("serving services.fraud_detection.service:FraudDetection" in s for s in seen)
        assert any(f"-m services.loadtest --url http://127.0.0.1:{port}" in s for s in seen)
        assert not _port_closed(port), "the service should be answering now"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err[-4000:]
    assert "stopping the service" in err and "Traceback" not in err
    assert _port_closed(port), "the server outlived Ctrl-C"
