"""The fraud stack's drift check, run for real: logged inputs, scores, retraining through gates.

The stack trains once on a small synthetic source. Each test then writes a prediction log of
its own, line by line through the service's own ``services.prediction_log.PredictionLog`` (so
the format the check reads is the one the service writes), with every line sampled, and runs
``python -m pipelines.drift`` over a window ending at a fixed time:

* rows drawn from the production version's training rows score below the retraining
  threshold, and nothing is retrained;
* the same rows with the country and channel mix changed cross the alert band: the two
  classifiers that read those inputs are retrained and a new version of each goes through
  the gates, while the anomaly model, which reads neither, keeps its version;
* a window shorter than the plan's ``sample_rows`` is ``insufficient`` and retrains nothing,
  however shifted it is;
* labelled outcomes after the last training count towards the new-labels trigger.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

SPEC = SPECS / "fraud-detection.yaml"
ROWS = "4000"
MODELS = ("fraud_lgbm", "fraud_xgb", "txn_anomaly")
#: The classifiers that read the shifted inputs (country, channel); the anomaly model does not.
SHIFTED_MODELS = ["fraud_lgbm", "fraud_xgb"]
#: The fraud plan: PSI, bands 0.1 / 0.25, a drift trigger at 0.2, 1800 rows per window.
SAMPLE_ROWS = 1800
RETRAIN_ABOVE = 0.2
NEW_LABELS = 100_000

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift")]

#: Writes ``n`` logged answers spread over the hour before ``end``, each carrying its request's
#: inputs: rows drawn from the production version's training rows, optionally shifted.
WRITE_LOG = """
import dataclasses, json, sys, uuid
from datetime import datetime, timedelta
from pathlib import Path
import numpy as np
from pipelines.models import model_version
from services.prediction_log import PredictionLog
from services.serving_plan import ServingConfig
end, n, shift, folder = datetime.fromisoformat({end!r}), {n}, {shift}, Path({folder!r})
rows = model_version("fraud_xgb").get_artifact("rows").load()
rows = rows.sample(n=n, random_state=3, replace=True).reset_index(drop=True)
rng = np.random.default_rng(5)
if shift:
    rows["country"] = rng.choice(["KP", "IR", "SY"], size=n)
    rows["channel"] = "web"
config = dataclasses.replace(ServingConfig.load(), drift_sample_fraction=1.0)
log = PredictionLog(config, folder)
for i, row in enumerate(rows.to_dict("records")):
    row = {{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}}
    answer = {{"prediction_id": uuid.UUID(bytes=rng.bytes(16)).hex, "prediction": 0.1,
              "decision": "approve", "scores": {{"fraud_xgb": 0.1}},
              "model_versions": {{"fraud_xgb": "1"}}}}
    log.write([row], [answer], [None], end - timedelta(seconds=3500 * (n - i) / n))
print(json.dumps({{"files": sorted(p.name for p in folder.iterdir())}}))
"""

PRODUCTION = f"""
import json
from pipelines.run import configure_environment, use_stack_source_root
from pipelines.stack_plan import stack_root
configure_environment(stack_root()); use_stack_source_root(stack_root())
from zenml.client import Client
print(json.dumps({{m: Client().get_model_version(m, "production").number for m in {MODELS!r}}}))
"""

#: The report ZenML keeps as the drift pipeline's artifact.
ARTIFACT = """
import json
from pipelines.run import configure_environment, use_stack_source_root
from pipelines.stack_plan import stack_root
configure_environment(stack_root()); use_stack_source_root(stack_root())
from zenml.client import Client
run = Client().get_pipeline("drift").last_run
print(json.dumps(run.steps["drift_decision"].outputs["drift_report"][0].load()))
"""

#: ``n`` labelled outcomes predicted after the last training, and a few before it.
WRITE_OUTCOMES = """
import json
import pandas as pd
from pathlib import Path
now = pd.Timestamp.now(tz="UTC")
at = [now + pd.Timedelta(seconds=i) for i in range({n})]
at += [pd.Timestamp("2001-01-01", tz="UTC")] * 7
table = pd.DataFrame({{"prediction_id": [f"p{{i}}" for i in range(len(at))], "at": at,
                      "is_fraud": [i % 9 == 0 for i in range(len(at))]}})
path = Path("data/outcomes/outcomes.parquet")
path.parent.mkdir(parents=True, exist_ok=True)
table.to_parquet(path, index=False)
print(json.dumps({{"rows": len(table)}}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fraud stack, its three models trained once and in production (version 1)."""
    stack_python()
    built = build(SPEC, tmp_path_factory.mktemp("drift") / "stack")
    done = run_pipelines(built, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    return built


def _write_log(stack: Path, name: str, end: str, rows: int, shift: bool) -> dict[str, str]:
    """A prediction log folder of its own for one test; the environment that points at it."""
    folder = stack / "logs" / name
    written = run_json(stack, WRITE_LOG.format(end=end, n=rows, shift=shift, folder=str(folder)))
    assert written["files"], "the log writer produced no file"
    return {"MLOPSGEN_PREDICTION_LOG": str(folder)}


def _check(stack: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_in_stack(stack, ["-m", "pipelines.drift", *args], extra_env=env, check=False)
    report = json.loads((stack / ".mlopsgen" / "last-drift.json").read_text(encoding="utf-8"))
    return done.returncode, report, done.stdout + done.stderr


def _models(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["model"]: entry for entry in report["models"]}


def test_unshifted_window_scores_below_the_threshold_and_retrains_nothing(stack: Path) -> None:
    before = run_json(stack, PRODUCTION)
    end = "2030-01-01T10:00:00+00:00"
    env = _write_log(stack, "unshifted", end, 2000, shift=False)
    code, report, output = _check(stack, env, "--window-end", end, "--rows", ROWS)
    assert code == 0, output[-6000:]
    models = _models(report)
    assert sorted(models) == list(MODELS)
    for entry in models.values():
        assert entry["rows"] == 2000
        assert entry["verdict"] in ("ok", "warn"), entry
        assert entry["max_score"] < RETRAIN_ABOVE, entry
        assert entry["reference_version"] == str(before[entry["model"]])
    # the view features come from the online store, not from the logged request
    assert "user_velocity.txn_count_1h" in models["fraud_xgb"]["skipped"]
    compared = sorted(models["fraud_xgb"]["features"])
    assert compared == ["amount_usd", "channel", "country", "currency"]
    assert report["retrain"] == {}
    assert report["retraining"] == {"exit_code": 0, "models": []}
    assert run_json(stack, PRODUCTION) == before
    # the artifact ZenML keeps is the same report
    assert run_json(stack, ARTIFACT) == {k: v for k, v in report.items() if k != "retraining"}


def test_metrics_file_holds_scores_rows_and_labels(stack: Path) -> None:
    end = "2030-01-02T10:00:00+00:00"
    env = _write_log(stack, "metrics", end, 1900, shift=False)
    code, report, output = _check(stack, env, "--window-end", end, "--no-retrain")
    assert code == 0, output[-6000:]
    text = (stack / ".mlopsgen" / "metrics" / "drift.prom").read_text(encoding="utf-8")
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    models = _models(report)
    for model, entry in models.items():
        assert samples[f'mlopsgen_drift_window_rows{{model="{model}"}}'] == "1900"
        series = f'mlopsgen_drift_max_score{{model="{model}",method="psi"}}'
        assert float(samples[series]) == pytest.approx(entry["max_score"], rel=1e-5)
        for feature, score in entry["features"].items():
            series = f'mlopsgen_drift_score{{model="{model}",feature="{feature}",method="psi"}}'
            assert float(samples[series]) == pytest.approx(score, rel=1e-5)
    for model in SHIFTED_MODELS:  # the supervised models; no outcomes were ingested
        assert samples[f'mlopsgen_labels_since_training{{model="{model}"}}'] == "0"
    assert 'mlopsgen_labels_since_training{model="txn_anomaly"}' not in samples
    assert "# TYPE mlopsgen_drift_max_score gauge" in text


def test_short_window_is_insufficient_and_retrains_nothing(stack: Path) -> None:
    before = run_json(stack, PRODUCTION)
    end = "2030-01-03T10:00:00+00:00"
    env = _write_log(stack, "short", end, 400, shift=True)
    code, report, output = _check(stack, env, "--window-end", end, "--rows", ROWS)
    assert code == 0, output[-6000:]
    models = _models(report)
    for model in SHIFTED_MODELS:
        # the shift is there, but 400 rows are fewer than the window needs
        assert models[model]["verdict"] == "insufficient"
        assert models[model]["max_score"] > RETRAIN_ABOVE
        assert models[model]["sample_rows"] == SAMPLE_ROWS
    assert report["retrain"] == {}
    assert run_json(stack, PRODUCTION) == before
    text = (stack / ".mlopsgen" / "metrics" / "drift.prom").read_text(encoding="utf-8")
    assert "mlopsgen_drift_max_score{" not in text
    assert 'mlopsgen_drift_window_rows{model="fraud_xgb"} 400' in text


def test_new_labels_after_training_trigger_retraining(stack: Path) -> None:
    run_json(stack, WRITE_OUTCOMES.format(n=NEW_LABELS))
    end = "2030-01-04T10:00:00+00:00"
    env = _write_log(stack, "labels", end, 1900, shift=False)
    try:
        code, report, output = _check(stack, env, "--window-end", end, "--no-retrain")
    finally:
        (stack / "data" / "outcomes" / "outcomes.parquet").unlink()
    assert code == 0, output[-6000:]
    for model in SHIFTED_MODELS:
        assert report["new_labels"][model]["count"] == NEW_LABELS  # the 7 older ones are not
        assert report["retrain"][model] == [
            f"new labels: {NEW_LABELS} labelled predictions since "
            f"{report['new_labels'][model]['since']}, at least {NEW_LABELS}"
        ]
    assert "txn_anomaly" not in report["retrain"]  # no target: labels do not retrain it
    assert report["retraining"] == {"exit_code": 0, "models": []}  # --no-retrain
    text = (stack / ".mlopsgen" / "metrics" / "drift.prom").read_text(encoding="utf-8")
    assert f'mlopsgen_labels_since_training{{model="fraud_xgb"}} {NEW_LABELS}' in text


def test_shifted_window_alerts_and_retrains_through_the_gates(stack: Path) -> None:
    before = run_json(stack, PRODUCTION)
    end = "2030-01-05T10:00:00+00:00"
    env = _write_log(stack, "shifted", end, 2000, shift=True)
    code, report, output = _check(stack, env, "--window-end", end, "--rows", ROWS)
    assert code == 0, output[-6000:]
    models = _models(report)
    for model in SHIFTED_MODELS:
        assert models[model]["verdict"] == "alert"
        assert models[model]["max_feature"] in ("channel", "country")
        assert report["retrain"][model][0].startswith("drift: psi ")
    assert models["txn_anomaly"]["verdict"] in ("ok", "warn")
    assert sorted(report["retrain"]) == SHIFTED_MODELS
    assert report["retraining"] == {"exit_code": 0, "models": SHIFTED_MODELS}
    assert "retraining: fraud_lgbm: drift: psi" in output
    # the retraining run went through the gates: a new version each, passed on its gates and
    # rolling out against production, which keeps serving until the rollout's last step
    outcome = json.loads((stack / ".mlopsgen" / "last-run.json").read_text(encoding="utf-8"))
    summaries = {m["name"]: m for m in outcome["models"]}
    assert sorted(summaries) == SHIFTED_MODELS
    after = run_json(stack, PRODUCTION)
    rollouts = json.loads((stack / ".mlopsgen" / "rollout.json").read_text())["rollouts"]
    for model in SHIFTED_MODELS:
        summary = summaries[model]
        assert int(summary["version"]) == before[model] + 1
        assert summary["gates"] and all(g["passed"] for g in summary["gates"])
        assert summary["promoted"] is True and summary["rollout"] == "pending"
        assert after[model] == before[model]
        assert rollouts[model]["candidate"] == summary["version"]
        assert rollouts[model]["status"] == "running"
    assert after["txn_anomaly"] == before["txn_anomaly"]
