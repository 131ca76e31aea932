"""The fraud stack's canary rollout runs for real: a worse candidate is rolled back, a
healthy one advances step by step to production.

The stack is trained once (ZenML, Feast, the three fraud models: version 1 in production).
A deliberately worse ``fraud_xgb`` is then registered by hand as version 2: production's
encoder around a learner that calls every transaction fraud (what a training set whose label
join went wrong would give). It never went through the offline gates, and the test says so:
its rollout starts with ``--ignore-gates``, since the point is that the online signals catch
what got past them. The service, served after ``services.export`` stored the candidate,
sends the first step's share of users to it, for good; outcomes that show those users'
transactions were legitimate give the candidate a false-positive rate far above the plan's
live bound, and ``rollout step`` rolls it back: the state says why, the Model Control Plane
archives version 2 and keeps version 1 in production, and the running service sends every
user back to production on its next request. A retrained ``fraud_xgb`` (version 3) passes
its gates, so the training run starts its rollout itself; with clean outcomes it advances
through every step (the clock is the ``--now`` argument) and becomes production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.bento_serving import post, served
from tests.functional.fraud_rows import fraud_row
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import build, model_registry, run_pipelines

SPEC = SPECS / "fraud-detection.yaml"
ROWS = "4000"
SERVICE = "services.fraud_detection.service:FraudDetection"
MODEL = "fraud_xgb"
STEPS = (5.0, 25.0, 50.0, 100.0)
#: Users per traffic burst: about 150 of them reach a 5 % canary.
USERS = 3000
#: Evidence thresholds for the test's small traffic (the plan's are for real traffic).
EVIDENCE = ("--min-rows", "40", "--min-outcomes", "40")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rollout")]

#: Register a fraud_xgb version that flags every transaction, bypassing the gates.
WORSE_CANDIDATE = """
import json
import numpy as np
from sklearn.dummy import DummyClassifier
from pipelines.models import model_version
from pipelines.families.tabular import TabularModel

production = model_version("fraud_xgb").get_artifact("model").load()  # configures ZenML first
from pipelines.materializers import PickleMaterializer
from zenml import Model, link_artifact_to_model, log_metadata, save_artifact
from zenml.client import Client
from zenml.enums import ArtifactType

flags_all = DummyClassifier(strategy="constant", constant=1)
flags_all.fit(np.zeros((2, len(production.columns))), [0, 1])
worse = TabularModel(flags_all, production.columns, production.categories, production.classes)
version = Client().create_model_version(
    model_name_or_id="fraud_xgb", description="flags every transaction; never gated"
)
artifact = save_artifact(
    worse, name="model", artifact_type=ArtifactType.MODEL, materializer=PickleMaterializer
)
link_artifact_to_model(artifact, model=Model(name="fraud_xgb", version=version.number))
log_metadata(metadata={"gates": {}}, model_version_id=version.id)
print(json.dumps(str(version.number)))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    built = build(SPEC, tmp_path_factory.mktemp("rollout") / "stack")
    done = run_pipelines(built, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    assert "rolling out" not in done.stdout  # the first versions have nothing to roll out against
    return built


def _rollout(stack: Path, *args: str) -> tuple[int, str]:
    done = run_in_stack(stack, ["-m", "pipelines.rollout", *args], check=False)
    return done.returncode, done.stdout + done.stderr


def _status(stack: Path) -> dict[str, Any]:
    done = run_in_stack(stack, ["-m", "pipelines.rollout", "status"])
    state: dict[str, Any] = json.loads(done.stdout)[MODEL]
    return state


def _traffic(base: str, users: list[str], size: int = 8) -> dict[str, dict[str, Any]]:
    """Each user's answer: one row per user, ``size`` rows a request."""
    answers: dict[str, dict[str, Any]] = {}
    for start in range(0, len(users), size):
        chunk = users[start : start + size]
        status, body = post(f"{base}/predict", {"rows": [fraud_row(u, "m-1") for u in chunk]})
        assert status == 200, body
        answers.update(zip(chunk, body, strict=True))
    return answers


def _canary_users(answers: dict[str, dict[str, Any]]) -> set[str]:
    """The users the candidate answered; their answers name its version, the others name
    production's."""
    return {user for user, answer in answers.items() if MODEL in (answer.get("canary") or ())}


def _outcomes(stack: Path, answers: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """Ingest outcomes saying every answered transaction was legitimate; the report."""
    lines = [{"prediction_id": a["prediction_id"], "is_fraud": False} for a in answers.values()]
    (stack / name).write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = run_in_stack(stack, ["-m", "pipelines.outcomes", name])
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _later(state: dict[str, Any], minutes: int) -> str:
    return (datetime.fromisoformat(state["step_started"]) + timedelta(minutes=minutes)).isoformat()


@pytest.fixture(scope="module")
def worse(stack: Path) -> str:
    version: str = run_json(stack, WORSE_CANDIDATE)
    return version


@pytest.fixture(scope="module")
def base_url(stack: Path, worse: str) -> Iterator[str]:
    # without --ignore-gates the hand-made version is refused: its gates never passed
    code, output = _rollout(stack, "start", "--model", MODEL, "--version", worse)
    assert code == 2 and "did not pass its gates" in output, output
    code, output = _rollout(stack, "start", "--model", MODEL, "--version", worse, "--ignore-gates")
    assert code == 0, output
    exported = run_in_stack(stack, ["-m", "services.export"]).stdout
    assert f"{MODEL} (canary): zenml version {worse} -> bentoml model {MODEL}--canary" in exported
    with served(stack, SERVICE) as base:
        yield base


def test_a_worse_candidate_takes_the_first_share_of_users_and_is_rolled_back(
    stack: Path, worse: str, base_url: str
) -> None:
    state = _status(stack)
    assert (state["status"], state["step"], state["candidate"], state["baseline"]) == (
        "running",
        0,
        worse,
        "1",
    )
    assert state["gates_bypassed"] is True
    users = [f"rollout-user-{i}" for i in range(USERS)]
    answers = _traffic(base_url, users)
    canary = _canary_users(answers)
    share = len(canary) / USERS
    assert abs(share - STEPS[0] / 100) < 0.02, share
    for user, answer in answers.items():
        expected = worse if user in canary else "1"
        assert answer["model_versions"][MODEL] == expected, answer
    # sticky: the same users get the same version again
    again = _traffic(base_url, users[:400])
    assert _canary_users(again) == canary & set(users[:400])
    report = _outcomes(stack, answers, "outcomes-worse.jsonl")
    assert report["joined"] == USERS
    code, output = _rollout(
        stack, "step", "--model", MODEL, "--now", _later(state, 10),
        "--service-url", base_url, *EVIDENCE,
    )  # fmt: skip
    # a breach rolls back during the step: it does not wait for the step's end
    assert code == 4, output
    assert "roll_back: quality: false_positive_rate" in output
    after = _status(stack)
    assert after["status"] == "rolled_back"
    assert after["reason"].startswith("quality: false_positive_rate")
    registry = model_registry(stack, MODEL)
    assert registry["1"]["stage"] == "production"
    assert registry[worse]["stage"] == "archived"
    assert registry[worse]["rollout"]["status"] == "rolled_back"
    assert registry[worse]["rollout"]["reason"] == after["reason"]
    # the running service reads the new state: every user back on production
    back = _traffic(base_url, sorted(canary) + users[:200])
    assert not _canary_users(back)
    assert {a["model_versions"][MODEL] for a in back.values()} == {"1"}


def test_a_healthy_candidate_advances_step_by_step_to_production(
    stack: Path, base_url: str
) -> None:
    if _status(stack).get("status") == "running":
        # run alone (without the rollback test before it): stop the hand-made candidate first
        code, output = _rollout(stack, "rollback", "--model", MODEL, "--reason", "by the test")
        assert code == 0, output
    retrained = run_pipelines(stack, "--rows", ROWS, "--pipeline", f"train_{MODEL}")
    assert retrained.returncode == 0, retrained.stderr[-6000:]
    assert "passed its gates: rolling out at 5% of units" in retrained.stdout
    state = _status(stack)
    candidate = state["candidate"]
    assert (state["status"], state["step"], state["baseline"]) == ("running", 0, "1")
    assert state["gates_bypassed"] is False and candidate != "1"
    run_in_stack(stack, ["-m", "services.export"])  # the running service picks it up
    users = [f"healthy-user-{i}" for i in range(USERS)]
    previous: set[str] = set()
    for index, percent in enumerate(STEPS):
        answers = _traffic(base_url, users if index == 0 else users[: USERS // 3])
        canary = _canary_users(answers)
        share = len(canary) / len(answers)
        assert abs(share - percent / 100) < 0.05, (percent, share)
        assert previous & set(answers) <= canary  # a unit stays with the candidate
        previous = canary
        assert all(answers[u]["model_versions"][MODEL] == candidate for u in canary)
        _outcomes(stack, answers, f"outcomes-healthy-{index}.jsonl")
        code, output = _rollout(
            stack, "step", "--model", MODEL, "--now", _later(state, 5),
            "--service-url", base_url, *EVIDENCE,
        )  # fmt: skip
        assert code == 3 and "of its minutes left" in output, output  # too early
        code, output = _rollout(
            stack, "step", "--model", MODEL, "--now", _later(state, 31),
            "--service-url", base_url, *EVIDENCE,
        )  # fmt: skip
        assert code == 0, output
        state = _status(stack)
        if index < len(STEPS) - 1:
            assert (state["status"], state["step"]) == ("running", index + 1), output
    assert state["status"] == "promoted"
    registry = model_registry(stack, MODEL)
    assert registry[candidate]["stage"] == "production"
    assert registry["1"]["stage"] == "archived"
    # promoted: the service answers every unit with the candidate until it is re-exported
    answers = _traffic(base_url, users[:100])
    assert {a["model_versions"][MODEL] for a in answers.values()} == {candidate}
    exported = run_in_stack(stack, ["-m", "services.export"]).stdout
    assert f"{MODEL}: zenml version {candidate} -> bentoml model" in exported
    assert "(canary)" not in exported
