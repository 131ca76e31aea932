"""The rollout controller keeps its state in a ConfigMap through the Kubernetes API, as its
CronJob does on the cluster.

The fraud stack's generated controller (``python -m pipelines.rollout``) runs in the stack's
interpreter with ``MLOPSGEN_ROLLOUT_CONFIGMAP`` set and ``MLOPSGEN_KUBERNETES_API`` pointing at
a small fake of the API server started here on 127.0.0.1
(:mod:`tests.functional.kubernetes_api`: the ConfigMap endpoints with ``resourceVersion``
semantics, and Prometheus's query endpoint, which reports healthy canary traffic); it can
answer 409 to the next PUT as if another writer had saved first. The stack is trained for
real, twice, on ZenML's local stack: version 1 is production and version 2 a candidate that
passed its gates, and the test reads the Model Control Plane afterwards to see that the
controller told it what it did.

``start`` creates the ConfigMap, ``step`` advances it through one forced conflict (read again,
then replaced with the fresh version), a scheduled ``step`` within the step holds without a
write, ``rollback`` records the reason, and ``status`` reads back what the fake holds. On the
service's side, the canary split follows the ConfigMap mounted as the kubelet mounts it: no
file (no rollout), a new state swapped in by a link even at the same size and time, an
unreadable one (production answers), a deleted one.

CI's hand-over: the rollout the second training run started in its own state file (as the
deploy workflow's build job does on its runner) is adopted into the ConfigMap, as the
production deploy job does through ``kubectl proxy``: once, idempotently, never over another
version's running rollout. Live quality on the cluster: outcomes ingested into a table at
``MLOPSGEN_OUTCOMES_URI`` (a ``file://`` folder standing in for the offline store's bucket)
are what the controller judges a step on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.kubernetes_api import FakeApi, serve
from tests.functional.stack_env import run_in_stack, stack_python
from tests.functional.zenml_stacks import build, model_registry, run_pipelines

SPEC = SPECS / "fraud-detection.yaml"
MODEL = "fraud_xgb"
NAMESPACE = "fraud"
NAME = "fraud-detection-rollout"
ITEM = f"/api/v1/namespaces/{NAMESPACE}/configmaps/{NAME}"
COLLECTION = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rollout-configmap")]

ROWS = "4000"
#: The second training run's own state file, beside the stack (as on CI's runner).
TRAINING_STATE = "training-run-rollout.json"


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, str]]:
    fake = FakeApi()
    with serve(fake) as (host, port):
        yield fake, f"http://{host}:{port}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fraud stack trained twice: version 1 in production, version 2 in staging.

    The second run starts its own rollout, as a run on a laptop does, in a state file kept
    out of the stack so that the ConfigMap is the only state the tests see.
    """
    stack_python()
    built = build(SPEC, tmp_path_factory.mktemp("rollout-configmap") / "stack")
    done = run_pipelines(built, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-4000:]
    aside = built.parent / TRAINING_STATE
    again = run_in_stack(
        built,
        ["-m", "pipelines.run", "--rows", ROWS, "--pipeline", f"train_{MODEL}"],
        extra_env={"MLOPSGEN_ROLLOUT_STATE": str(aside)},
        check=False,
    )
    assert again.returncode == 0, again.stderr[-4000:]
    assert model_registry(built, MODEL)["2"]["stage"] == "staging", again.stdout
    return built


def _controller(
    stack: Path, url: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    done = run_in_stack(
        stack,
        ["-m", "pipelines.rollout", *args, "--service-url", url],
        extra_env={
            "MLOPSGEN_ROLLOUT_CONFIGMAP": f"{NAMESPACE}/{NAME}",
            "MLOPSGEN_KUBERNETES_API": url,
            "PROMETHEUS_URL": url,
            **(env or {}),
        },
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _stored(fake: FakeApi) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(fake.objects[ITEM]["data"]["rollout.json"])["rollouts"]
    return state


def test_start_step_and_rollback_round_trip_the_state_through_the_configmap(
    stack: Path, api: tuple[FakeApi, str]
) -> None:
    fake, url = api
    code, out, err = _controller(stack, url, "status")
    assert (code, json.loads(out)) == (0, {}), err
    assert fake.log == [("GET", ITEM, 404)], "no ConfigMap yet: no rollout, nothing written"

    code, out, err = _controller(
        stack, url, "start", "--model", MODEL, "--version", "2", "--now", T0.isoformat()
    )
    assert code == 0, out + err
    assert ("POST", COLLECTION, 201) in fake.log, "the first save creates the ConfigMap"
    created = fake.objects[ITEM]
    assert created["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "mlopsgen-rollout"}
    state = _stored(fake)[MODEL]
    assert (state["status"], state["step"], state["candidate"], state["baseline"]) == (
        "running",
        0,
        "2",
        "1",
    )
    version_after_start = created["metadata"]["resourceVersion"]

    fake.log.clear()
    fake.conflicts = 1
    later = (T0 + timedelta(minutes=state["step_minutes"] + 1)).isoformat()
    code, out, err = _controller(stack, url, "step", "--model", MODEL, "--now", later)
    assert code == 0, out + err
    assert f"{MODEL} version 2: advance" in out
    writes = [entry for entry in fake.log if entry[0] == "PUT"]
    assert writes == [("PUT", ITEM, 409), ("PUT", ITEM, 200)], "a conflict is read again"
    assert [entry[0] for entry in fake.log].count("GET") >= 3  # the state, then twice to save
    state = _stored(fake)[MODEL]
    assert (state["status"], state["step"], state["step_started"]) == ("running", 1, later)
    assert int(fake.objects[ITEM]["metadata"]["resourceVersion"]) > int(version_after_start)

    fake.log.clear()
    within = (datetime.fromisoformat(later) + timedelta(minutes=1)).isoformat()
    code, out, err = _controller(stack, url, "step", "--scheduled", "--now", within)
    assert code == 0, out + err
    assert f"{MODEL} version 2: hold" in out
    assert {entry[0] for entry in fake.log} == {"GET"}, "a held step writes nothing"

    code, out, err = _controller(
        stack, url, "rollback", "--model", MODEL, "--reason", "drill", "--now", within
    )
    assert code == 0, out + err
    state = _stored(fake)[MODEL]
    assert (state["status"], state["reason"]) == ("rolled_back", "drill")
    assert [h["status"] for h in state["history"] if "status" in h] == ["running", "rolled_back"]

    code, out, err = _controller(stack, url, "status")
    assert code == 0, err
    assert json.loads(out) == _stored(fake)

    code, out, err = _controller(stack, url, "step", "--scheduled")
    assert code == 0 and "nothing to do" in out, out + err
    code, out, err = _controller(stack, url, "step")
    assert code == 2 and "no running rollout" in err, out + err

    registry = model_registry(stack, MODEL)
    assert registry["1"]["stage"] == "production"
    assert registry["2"]["stage"] == "archived"
    assert registry["2"]["rollout"]["status"] == "rolled_back"
    assert registry["2"]["rollout"]["reason"] == "drill"
    assert not (stack / ".mlopsgen" / "rollout.json").exists(), "no state file beside it"


def test_an_existing_configmap_is_replaced_and_an_unreachable_api_fails_cleanly(
    stack: Path, api: tuple[FakeApi, str]
) -> None:
    """A ConfigMap that exists without a state (made by hand, with another key) is replaced,
    the other key kept; an API server that does not answer fails the command with a message,
    exit 1."""
    fake, url = api
    fake.objects[ITEM] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "resourceVersion": "7"},
        "data": {"other": "kept"},
    }
    fake.version = 7
    code, out, err = _controller(
        stack, url, "start", "--model", MODEL, "--version", "2", "--now", T0.isoformat()
    )
    assert code == 0, out + err
    assert ("POST", COLLECTION, 201) not in fake.log
    assert fake.objects[ITEM]["data"]["other"] == "kept", "other keys survive a replace"
    assert _stored(fake)[MODEL]["status"] == "running"

    code, out, err = _controller(stack, "http://127.0.0.1:9", "status")
    assert code == 1 and "rollout: the state:" in err, out + err


def _state_file(path: Path, rollouts: dict[str, dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"rollouts": rollouts}), encoding="utf-8")
    return path


def test_a_training_runs_rollout_is_adopted_by_the_cluster_once(
    stack: Path, api: tuple[FakeApi, str], tmp_path: Path
) -> None:
    """The training run's own state file, handed to the ConfigMap as CI's production job does
    (``adopt --from``): written once with the step starting again; adopting it again keeps
    what is there, even after a rollback; another version is refused while one runs."""
    fake, url = api
    training = stack.parent / TRAINING_STATE
    started = json.loads(training.read_text(encoding="utf-8"))["rollouts"][MODEL]
    assert (started["status"], started["candidate"], started["baseline"]) == ("running", "2", "1")

    at = (T0 + timedelta(hours=3)).isoformat()
    code, out, err = _controller(stack, url, "adopt", "--from", str(training), "--now", at)
    assert code == 0, out + err
    assert f"{MODEL} version 2: adopted at {started['steps_percent'][0]:g}% of units" in out
    assert ("POST", COLLECTION, 201) in fake.log
    adopted = _stored(fake)[MODEL]
    kept = ("candidate", "baseline", "salt", "steps_percent", "strategy", "step", "status")
    assert {k: adopted[k] for k in kept} == {k: started[k] for k in kept}
    assert adopted["step_started"] == at, "the step starts again on the cluster"
    assert adopted["counters"] == {}, "the runner's counter reading means nothing here"
    assert adopted["history"][: len(started["history"])] == started["history"]
    assert adopted["history"][-1]["at"] == at
    assert adopted["history"][-1]["reason"].startswith("adopted")

    fake.log.clear()
    code, out, err = _controller(stack, url, "adopt", "--from", str(training))
    assert code == 0, out + err
    assert f"{MODEL} version 2: already here (running): kept" in out
    assert {entry[0] for entry in fake.log} == {"GET"}, "adopting twice writes nothing"
    assert _stored(fake)[MODEL] == adopted

    other = _state_file(tmp_path / "other.json", {MODEL: {**started, "candidate": "3"}})
    code, out, err = _controller(stack, url, "adopt", "--from", str(other))
    assert code == 2, out + err
    assert "version 2 is rolling out here already" in err and "version 3" in err, err
    assert _stored(fake)[MODEL] == adopted, "a refused adoption changes nothing"

    code, out, err = _controller(stack, url, "rollback", "--model", MODEL, "--reason", "drill")
    assert code == 0, out + err
    code, out, err = _controller(stack, url, "adopt", "--from", str(training))
    assert code == 0 and "already here (rolled_back): kept" in out, out + err
    assert _stored(fake)[MODEL]["status"] == "rolled_back", "a rollback is not undone"

    fake.log.clear()
    empty = _state_file(tmp_path / "empty.json", {})
    code, out, err = _controller(stack, url, "adopt", "--from", str(empty))
    assert code == 0 and "no running rollout to adopt" in out, out + err
    assert fake.log == [], "nothing to adopt: the API is not called"
    code, out, err = _controller(stack, url, "adopt", "--from", str(tmp_path / "absent.json"))
    assert code == 2 and "no such state file" in err, out + err
    code, out, err = _controller(stack, url, "adopt")
    assert code == 2 and "adopt needs --from FILE" in err, out + err


def _prediction_log(folder: Path, count: int, start: datetime) -> list[str]:
    """``count`` canary answers of version 2 in the service's log format: every one declined
    with a high score. Their prediction ids."""
    folder.mkdir(parents=True)
    ids, lines = [], []
    for index in range(count):
        prediction_id = f"{index:032x}"
        ids.append(prediction_id)
        line = {
            "event": "prediction",
            "prediction_id": prediction_id,
            "at": (start + timedelta(seconds=index)).isoformat(timespec="milliseconds"),
            "service": "fraud-detection",
            "model_versions": {MODEL: "2"},
            "keys": {"transaction_id": f"t-{index}"},
            "prediction": 0.97,
            "decision": "decline",
            "scores": {MODEL: 0.97},
            "cached": False,
            "canary": [MODEL],
        }
        lines.append(json.dumps(line, sort_keys=True) + "\n")
    (folder / "predictions-20260302T09-1.jsonl").write_text("".join(lines), encoding="utf-8")
    return ids


def test_the_cluster_judges_live_quality_from_the_outcome_table_at_a_uri(
    stack: Path, api: tuple[FakeApi, str], tmp_path: Path
) -> None:
    """Outcomes ingested with ``MLOPSGEN_OUTCOMES_URI`` (a ``file://`` URI standing in for the
    offline store) are written there, not under the stack; the controller, given the same URI
    as its CronJob is, measures the candidate's false positive rate there and rolls it back."""
    fake, url = api
    code, out, err = _controller(
        stack, url, "start", "--model", MODEL, "--version", "2", "--now", T0.isoformat()
    )
    assert code == 0, out + err
    store = tmp_path / "offline-store"
    uri = f"{store.as_uri()}/outcomes/outcomes.parquet"
    ids = _prediction_log(tmp_path / "log", 150, T0 + timedelta(minutes=1))
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(json.dumps({"prediction_id": i, "is_fraud": False}) + "\n" for i in ids),
        encoding="utf-8",
    )
    done = run_in_stack(
        stack,
        ["-m", "pipelines.outcomes", str(labels), "--predictions", str(tmp_path / "log")],
        extra_env={"MLOPSGEN_OUTCOMES_URI": uri},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert (report["joined"], report["table"]) == (150, uri)
    assert (store / "outcomes" / "outcomes.parquet").is_file()
    assert not (stack / "data" / "outcomes" / "outcomes.parquet").exists()

    minutes = _stored(fake)[MODEL]["step_minutes"]
    later = (T0 + timedelta(minutes=minutes + 1)).isoformat()
    code, out, err = _controller(stack, url, "step", "--model", MODEL, "--now", later)
    assert code == 0 and f"{MODEL} version 2: advance" in out, out + err  # no table here
    code, out, err = _controller(
        stack,
        url,
        "step",
        "--model",
        MODEL,
        "--now",
        (T0 + timedelta(minutes=minutes + 2)).isoformat(),
        env={"MLOPSGEN_OUTCOMES_URI": uri},
    )
    assert code == 4, out + err
    assert "roll_back: quality: false_positive_rate 1 over 150 labelled canary" in out, out
    assert _stored(fake)[MODEL]["status"] == "rolled_back"

    garbage = store / "garbage.parquet"
    garbage.write_text("not a parquet file", encoding="utf-8")
    code, out, err = _controller(stack, url, "start", "--model", MODEL, "--version", "2")
    assert code == 0, out + err
    code, out, err = _controller(
        stack, url, "step", "--model", MODEL, env={"MLOPSGEN_OUTCOMES_URI": garbage.as_uri()}
    )
    assert code == 1 and "cannot be read" in err and "Traceback" not in err, out + err


#: The service's side: ``services.canary.Canaries`` reading a mounted ConfigMap laid out as
#: the kubelet lays it out (``rollout.json`` -> ``..data/rollout.json``, ``..data`` -> a
#: timestamped folder, replaced by renaming a new link over ``..data``). Prints the share the
#: candidate answers after each change.
MOUNTED = """
import json, os, sys
from dataclasses import replace
from pathlib import Path
from pipelines.rollout.state import Rollout, encode_rollouts
from services.canary import Canaries
from services.serving_plan import ServingConfig

mount = Path(sys.argv[1])
mount.mkdir()
canaries = Canaries(ServingConfig.load(), mount / "rollout.json", {"fraud_xgb": "1"},
                    lambda tag: ("fitted", "2"))
seen = []

def share():
    canaries.refresh()
    active = canaries.active.get("fraud_xgb")
    seen.append(None if active is None else active.rollout.percent)

def publish(folder, text, mtime_ns=None):
    (mount / folder).mkdir()
    (mount / folder / "rollout.json").write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(mount / folder / "rollout.json", ns=(mtime_ns, mtime_ns))
    os.symlink(folder, mount / "..data_tmp")
    os.replace(mount / "..data_tmp", mount / "..data")
    if not (mount / "rollout.json").is_symlink():
        os.symlink("..data/rollout.json", mount / "rollout.json")

share()  # the optional ConfigMap does not exist: an empty folder
rollout = Rollout(model="fraud_xgb", candidate="2", baseline="1", strategy="canary",
                  steps_percent=(5.0, 25.0, 50.0, 100.0), step_minutes=30, step=0,
                  step_started="2026-03-02T09:00:00+00:00", status="running", salt="fraud_xgb:2")
first = encode_rollouts({"fraud_xgb": replace(rollout, step=1)})
publish("..2026_03_02_09_00_00.1", first)
share()
old = os.stat(mount / "rollout.json")
second = encode_rollouts({"fraud_xgb": replace(rollout, step=2)})
assert len(second) == len(first)
publish("..2026_03_02_09_03_00.2", second, old.st_mtime_ns)  # same size and time, new file
share()
publish("..2026_03_02_09_06_00.3", "{not json")
share()
os.unlink(mount / "rollout.json")  # the ConfigMap was deleted
share()
print(json.dumps(seen))
"""


def test_the_service_follows_a_mounted_configmap_the_kubelet_swaps(
    stack: Path, tmp_path: Path
) -> None:
    done = run_in_stack(stack, ["-c", MOUNTED, str(tmp_path / "mount")])
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert json.loads(lines[-1]) == [None, 25.0, 50.0, None, None], done.stderr[-3000:]
    assert "cannot be read: production answers" in done.stderr
