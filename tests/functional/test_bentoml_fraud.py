"""The fraud-detection service serves for real: train, export, ``bentoml serve``, predict.

The stack is built and trained once (ZenML, Feast, the three fraud models); the production
models are exported to a BentoML store outside the stack and served on a free local port
with one worker. Requests are checked end to end: known and unknown users get a score and a
decision, every kind of bad payload is a 4xx naming the field, the Prometheus metrics are
served. The ``lgbm_heavier`` experiment assigns each user an arm for good, in the planned
split, and each arm scores with its own ensemble weights. A stack that was never trained has
nothing to export (exit 3) and its service refuses to start, saying which commands fix it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.bento_serving import free_port, get, output_of, post, serve, served
from tests.functional.fraud_rows import fraud_row
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

SPEC = SPECS / "fraud-detection.yaml"
ROWS = "4000"
SERVICE = "services.fraud_detection.service:FraudDetection"
MODELS = ("fraud_xgb", "fraud_lgbm", "txn_anomaly")
#: The ``lgbm_heavier`` experiment's arms (every user is enrolled) and their ensemble weights.
ARM_WEIGHTS = {
    "control": {"fraud_xgb": 0.6, "fraud_lgbm": 0.4},
    "treatment": {"fraud_xgb": 0.3, "fraud_lgbm": 0.7},
}
TREATMENT_SHARE = 0.10
SHARE_USERS = 10_000

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
def size(trained: Path) -> int:
    """Rows per request when many users are scored: the plan's batch size."""
    batching = json.loads((trained / "plan.json").read_text())["serving"]["batching"]
    return int(batching["max_batch_size"] or 1)


@pytest.fixture(scope="module")
def base_url(trained: Path, exported: str) -> Iterator[str]:
    with served(trained, SERVICE) as base:
        yield base


def _weighted(answer: dict[str, Any]) -> float:
    """The weighted mean of the classifiers' scores with the answer's arm's weights."""
    weights = ARM_WEIGHTS[answer["variant"]]
    return sum(w * answer["scores"][m] for m, w in weights.items()) / sum(weights.values())


def test_export_saves_each_production_model(exported: str) -> None:
    lines = exported.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == list(MODELS)
    assert all("zenml version 1 -> bentoml model" in line for line in lines)


PRODUCTION_CREATED = """
import json
from zenml.client import Client
from zenml.enums import ModelStages
from pipelines.run import configure_environment
from pathlib import Path
configure_environment(Path("."))
print(json.dumps({
    name: Client().get_model_version(name, ModelStages.PRODUCTION).created.isoformat()
    for name in ("fraud_xgb", "fraud_lgbm", "txn_anomaly")
}))
"""


def test_the_run_writes_when_each_production_version_was_trained(trained: Path) -> None:
    text = (trained / ".mlopsgen" / "metrics" / "training.prom").read_text()
    written = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("mlopsgen_model_promoted_timestamp_seconds{")
    }
    created = run_json(trained, PRODUCTION_CREATED)
    assert sorted(written) == sorted(created)
    for name, stamp in created.items():
        moment = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
        assert written[name] == pytest.approx(moment.timestamp(), abs=0.001)


def test_known_and_unknown_users_get_a_score_and_a_decision(trained: Path, base_url: str) -> None:
    known = run_json(trained, KNOWN_ENTITIES)
    rows = [fraud_row(u, m) for u, m in zip(known["users"], known["merchants"], strict=True)]
    rows.append(fraud_row("never-seen-user", "never-seen-merchant", amount_usd=9000.0))
    status, answers = post(f"{base_url}/predict", {"rows": rows})
    assert status == 200, answers
    assert len(answers) == len(rows)
    for answer in answers:
        assert 0.0 <= answer["prediction"] <= 1.0
        assert answer["decision"] in ("approve", "review", "decline")
        assert isinstance(answer["rules_fired"], list)
        assert sorted(answer["scores"]) == sorted(MODELS)
        # the ensemble's score is the weighted mean of the two classifiers' (the row's arm's)
        assert answer["prediction"] == pytest.approx(_weighted(answer))


def test_a_sanctioned_country_is_declined_naming_the_rule(base_url: str) -> None:
    status, answers = post(f"{base_url}/predict", {"rows": [fraud_row("u-kp", "m", country="KP")]})
    assert status == 200, answers
    assert answers[0]["decision"] == "decline"
    assert "sanctioned_country" in answers[0]["rules_fired"]


def _assigned(base_url: str, users: list[str], size: int) -> list[dict[str, Any]]:
    """The answers for one row per user, sent ``size`` rows per request, one request at a
    time (the plan's batch: BentoML's dispatcher splits a longer request, or requests queued
    together, into batches and sheds with 503 the ones its deadline cannot take)."""
    answers: list[dict[str, Any]] = []
    for start in range(0, len(users), size):
        rows = [fraud_row(user, "m") for user in users[start : start + size]]
        status, batch = post(f"{base_url}/predict", {"rows": rows})
        assert status == 200, batch
        answers.extend(batch)
    return answers


def test_each_arm_scores_with_its_own_ensemble_weights(base_url: str, size: int) -> None:
    answers = _assigned(base_url, [f"arm-user-{i}" for i in range(400)], size)
    assert {a["experiment"] for a in answers} == {"lgbm_heavier"}
    assert {a["variant"] for a in answers} == set(ARM_WEIGHTS)
    for answer in answers:
        assert answer["prediction"] == pytest.approx(_weighted(answer))
    # the arms' weights differ, so an arm's answer is not the other arm's mean
    treated = next(a for a in answers if a["variant"] == "treatment")
    control_mean = _weighted({**treated, "variant": "control"})
    assert treated["prediction"] != pytest.approx(control_mean)


def test_a_user_keeps_their_variant_across_calls(base_url: str, size: int) -> None:
    users = [f"sticky-user-{i}" for i in range(50)]
    first = [a["variant"] for a in _assigned(base_url, users, size)]
    again = [a["variant"] for a in _assigned(base_url, list(reversed(users)), size)]
    assert first == list(reversed(again))
    assert "treatment" in first and "control" in first


def test_the_treatment_share_over_many_users_is_the_planned_split(base_url: str, size: int) -> None:
    answers = _assigned(base_url, [f"share-user-{i}" for i in range(SHARE_USERS)], size)
    share = sum(a["variant"] == "treatment" for a in answers) / SHARE_USERS
    sigma = math.sqrt(TREATMENT_SHARE * (1 - TREATMENT_SHARE) / SHARE_USERS)
    assert abs(share - TREATMENT_SHARE) <= 4 * sigma, share


def test_exposures_are_counted_and_logged_by_variant(
    trained: Path, base_url: str, size: int
) -> None:
    answers = _assigned(base_url, [f"exposed-user-{i}" for i in range(100)], size)
    logged = [
        json.loads(line[line.index("{") : line.rindex("}") + 1])
        for line in output_of(trained, base_url).splitlines()
        if '"experiment_exposure"' in line
    ]
    exposed = {(e["unit"], e["variant"]) for e in logged if e["unit"].startswith("exposed-user-")}
    assert exposed == {(f"exposed-user-{i}", a["variant"]) for i, a in enumerate(answers)}
    status, text = get(f"{base_url}/metrics")
    assert status == 200
    for variant in ARM_WEIGHTS:
        line = next(
            line
            for line in text.splitlines()
            if line.startswith("mlopsgen_experiment_exposures_total{")
            and f'variant="{variant}"' in line
            and 'experiment="lgbm_heavier"' in line
        )
        assert float(line.rsplit(" ", 1)[1]) >= 1


def _logged_predictions(folder: Path) -> dict[str, dict[str, Any]]:
    """Every line of a prediction log folder, by prediction id."""
    lines: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("predictions-*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            lines[line["prediction_id"]] = line
    return lines


def test_every_answer_carries_a_new_id_and_the_model_versions_and_is_logged(
    trained: Path, base_url: str
) -> None:
    rows = [fraud_row(f"logged-user-{i}", "m-logged") for i in range(3)]
    rows.append(rows[0])  # the same request again is another prediction
    status, answers = post(f"{base_url}/predict", {"rows": rows})
    assert status == 200, answers
    ids = [answer["prediction_id"] for answer in answers]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert all(answer["model_versions"] == dict.fromkeys(MODELS, "1") for answer in answers)
    logged = _logged_predictions(trained / ".mlopsgen" / "predictions")
    plan = json.loads((trained / "plan.json").read_text())
    fraction = plan["monitoring"]["drift"]["sample_fraction"]
    for row, answer in zip(rows, answers, strict=True):
        line = logged[answer["prediction_id"]]
        assert line["keys"] == {k: row[k] for k in ("transaction_id", "user_id", "merchant_id")}
        assert line["model_versions"] == answer["model_versions"]
        assert line["decision"] == answer["decision"]
        assert line["prediction"] == pytest.approx(answer["prediction"])
        assert (line["experiment"], line["variant"], line["unit"]) == (
            "lgbm_heavier",
            answer["variant"],
            row["user_id"],
        )
        # the drift sample is chosen by the id, at the plan's share of requests
        sampled = int(answer["prediction_id"][:8], 16) < fraction * 2**32
        assert ("inputs" in line) == sampled
    exposures = [
        json.loads(text[text.index("{") : text.rindex("}") + 1])
        for text in output_of(trained, base_url).splitlines()
        if '"experiment_exposure"' in text
    ]
    exposed = {e["prediction_id"]: e for e in exposures}
    for row, answer in zip(rows, answers, strict=True):
        assert exposed[answer["prediction_id"]]["unit"] == row["user_id"]
        assert exposed[answer["prediction_id"]]["at"] == logged[answer["prediction_id"]]["at"]


OUTCOME_TABLE = """
import json
import pandas as pd
table = pd.read_parquet("data/outcomes/outcomes.parquet")
print(table.assign(at=table["at"].astype(str)).to_json(orient="records"))
"""


def test_outcomes_that_arrive_later_join_the_logged_predictions(
    trained: Path, base_url: str
) -> None:
    """Labels by transaction id, then a correction by prediction id; the false-positive rate
    over the monitor's window comes from the decisions and the labels."""
    rows = [fraud_row(f"outcome-user-{i}", "m-outcome", amount_usd=50.0 + i) for i in range(4)]
    status, answers = post(f"{base_url}/predict", {"rows": rows})
    assert status == 200, answers
    labels = [True, False, False]
    outcomes = [
        {"transaction_id": row["transaction_id"], "is_fraud": fraud, "fraud_loss_usd": 10.0 * i}
        for i, (row, fraud) in enumerate(zip(rows, labels, strict=False))
    ]
    outcomes.append({"transaction_id": "never-served", "is_fraud": True, "fraud_loss_usd": 1.0})
    # the same transaction twice in one file: the later row is its outcome
    outcomes.append({**outcomes[0], "fraud_loss_usd": 99.0})
    (trained / "outcomes-1.jsonl").write_text("\n".join(map(json.dumps, outcomes)) + "\n")
    done = run_in_stack(trained, ["-m", "pipelines.outcomes", "outcomes-1.jsonl"])
    report = json.loads(done.stdout)
    assert (report["joined"], report["superseded"], report["unmatched"]) == (3, 1, 1)
    assert report["label"] == "is_fraud"
    table = {r["prediction_id"]: r for r in run_json(trained, OUTCOME_TABLE)}
    for answer, row, fraud in zip(answers, rows, labels, strict=False):
        joined = table[answer["prediction_id"]]
        assert joined["transaction_id"] == row["transaction_id"]
        assert joined["is_fraud"] is fraud
        assert json.loads(joined["model_versions"]) == answer["model_versions"]
        assert (joined["variant"], joined["decision"]) == (answer["variant"], answer["decision"])
    assert table[answers[0]["prediction_id"]]["fraud_loss_usd"] == 99.0
    # a correction names the prediction itself; it replaces the earlier outcome
    correction = {"prediction_id": answers[1]["prediction_id"], "is_fraud": True}
    (trained / "outcomes-2.jsonl").write_text(json.dumps(correction) + "\n")
    report = json.loads(
        run_in_stack(trained, ["-m", "pipelines.outcomes", "outcomes-2.jsonl"]).stdout
    )
    assert report["joined"] == 1
    table = {r["prediction_id"]: r for r in run_json(trained, OUTCOME_TABLE)}
    assert table[answers[1]["prediction_id"]]["is_fraud"] is True
    labelled = [r for r in table.values() if r["is_fraud"] is not None]
    negatives = [r for r in labelled if not r["is_fraud"]]
    expected = sum(r["decision"] != "approve" for r in negatives) / len(negatives)
    (measured,) = report["quality"]
    assert (measured["model"], measured["metric"]) == ("fraud_xgb", "false_positive_rate")
    assert measured["value"] == pytest.approx(expected)
    text = (trained / ".mlopsgen/metrics/outcomes.prom").read_text()
    line = next(x for x in text.splitlines() if x.startswith("mlopsgen_model_quality{"))
    assert 'model="fraud_xgb",metric="false_positive_rate"' in line
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(expected, rel=1e-5)


SATURATION = """
import json, os
from services.serving_plan import ServingConfig
from services.scoring import Scorer
from services.experiments import experiments_from_plan

plan = json.loads(open("plan.json").read())
for experiment in plan["serving"]["experiments"]:
    experiment["disagreement_sample_fraction"] = 1.0  # every enrolled request is compared
config = ServingConfig.from_plan(plan)
scorer = Scorer.load(config)
rows = json.loads(open("saturation-rows.json").read())
answers = scorer.score(rows)
weights = {
    v.name: v.ensemble for e in experiments_from_plan(config.serving) for v in e.variants
}
expected = []
for row, answer in zip(rows, answers):
    frame = scorer.frame([row])
    other = next(name for name in weights if name != answer["variant"])
    scores = {k: v for k, v in answer["scores"].items() if v is not None}
    shadow = scorer.policy.decide(scorer.rule_row(frame, 0), scores, weights[other])
    expected.append({"prediction_id": answer["prediction_id"], "other": other,
                     "differs": shadow.decision != answer["decision"],
                     "fields": sorted(answer)})
print(json.dumps(expected))
"""


def test_the_saturation_sample_scores_the_other_arm_and_feeds_the_read_out(
    trained: Path, exported: str
) -> None:
    """Every enrolled request of the sample is scored again as the other arm; the log says
    whether the decisions differ, and the read-out reads the log folder as it is."""
    users = [f"saturation-user-{i}" for i in range(60)]
    rows = [fraud_row(u, "m-sat", amount_usd=40.0 + 37.0 * i) for i, u in enumerate(users)]
    (trained / "saturation-rows.json").write_text(json.dumps(rows))
    log = trained / "saturation-log"
    expected = run_json(trained, SATURATION, extra_env={"MLOPSGEN_PREDICTION_LOG": str(log)})
    lines = _logged_predictions(log)
    for item in expected:
        line = lines[item["prediction_id"]]
        assert (line["differs"], line["other_variant"]) == (item["differs"], item["other"])
        assert "differs" not in item["fields"] and "other_variant" not in item["fields"]
    outcomes = [{"prediction_id": i, "fraud_loss_usd": 0.0} for i in lines]
    (trained / "saturation-outcomes.jsonl").write_text("\n".join(map(json.dumps, outcomes)))
    done = run_in_stack(
        trained,
        [
            "-m", "pipelines.experiments.analysis", "--experiment", "lgbm_heavier",
            "--exposures", str(log), "--disagreements", str(log),
            "--outcomes", "saturation-outcomes.jsonl", "--out", "saturation-report",
        ],
        check=False,
    )  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    report = json.loads((trained / "saturation-report" / "report.json").read_text())
    saturation = report["saturation"]
    assert saturation["sampled_requests"] == len(expected)
    assert saturation["differing_requests"] == sum(item["differs"] for item in expected)


def test_outcomes_that_name_no_prediction_are_refused_with_the_columns_to_add(
    trained: Path, base_url: str
) -> None:
    (trained / "outcomes-bad.csv").write_text("order,is_fraud\n1,true\n")
    done = run_in_stack(trained, ["-m", "pipelines.outcomes", "outcomes-bad.csv"], check=False)
    assert done.returncode == 2
    assert "prediction_id" in done.stderr and "transaction_id" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "XXX"), ("country", "ZZ"), ("amount_usd", -1.0), ("amount_usd", 2e6)],
)
def test_a_bad_value_is_a_client_error_naming_the_field(
    base_url: str, field: str, value: object
) -> None:
    status, body = post(f"{base_url}/predict", {"rows": [fraud_row("u", "m", **{field: value})]})
    assert 400 <= status < 500
    assert field in str(body)


def test_a_missing_field_is_a_client_error_naming_it(base_url: str) -> None:
    row = fraud_row("u", "m")
    del row["merchant_id"]
    status, body = post(f"{base_url}/predict", {"rows": [row]})
    assert 400 <= status < 500
    assert "merchant_id" in str(body)


def test_metrics_are_served(base_url: str) -> None:
    post(f"{base_url}/predict", {"rows": [fraud_row("u", "m")]})
    post(f"{base_url}/predict", {"rows": [fraud_row("u", "m", currency="XXX")]})
    status, text = get(f"{base_url}/metrics")
    assert status == 200
    assert 'mlopsgen_requests_total{endpoint="predict",outcome="ok"}' in text
    assert 'mlopsgen_requests_total{endpoint="predict",outcome="invalid"}' in text
    for name in (
        "mlopsgen_request_latency_seconds_bucket",
        "mlopsgen_batch_size_bucket",
        "mlopsgen_shed_requests_total",
        "mlopsgen_scoring_seconds_sum",
    ):
        assert name in text
    # the rows scored so far, which ServiceTimeAboveCalibration divides the scoring time by
    rows = [line for line in text.splitlines() if line.startswith("mlopsgen_scored_rows_total")]
    assert rows and float(rows[0].split()[-1]) >= 1, rows


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
    port = free_port()
    server = serve(stack, SERVICE, port)
    assert server.wait() != 0
    output = output_of(stack, f"http://127.0.0.1:{port}")
    assert "ModelsMissing" in output
    assert "python -m services.export" in output
    assert "fraud_xgb" in output


def test_every_dashboard_panel_reads_a_metric_the_running_service_exports(
    trained: Path, base_url: str
) -> None:
    # last in the module: by now the service has answered, shed, batched and exposed variants
    board = json.loads((trained / "monitoring" / "grafana" / "fraud-detection.json").read_text())
    status, text = get(f"{base_url}/metrics")
    assert status == 200
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    for panel in board["panels"]:
        for target in panel["targets"]:
            used = set(re.findall(r"\b(mlopsgen_[a-z_]+)\{", target["expr"]))
            assert used, target["expr"]
            assert used <= exported, (panel["title"], used - exported)
