"""A tabular stack of another shape than the reference specs trains for real on ZenML.

One regression model on a CSV source with no feature views, on the local cloud: the run
promotes the model, the production version loads back from the Model Control Plane and
predicts fresh rows, and its hold-out error is within a stated margin of the oracle's (the
true generating function's). The same data read from SQLite trains the same way; a planted
leaking column stops the run naming it; a gate the model cannot pass keeps it in staging.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import build, last_run, load_production, run_pipelines

SPEC = REPO / "tests" / "data" / "stacks" / "house-prices.yaml"
ROWS = "2000"
#: The model's R² may trail the oracle's (the true mean price) by at most this much.
R2_MARGIN = 0.08

pytestmark = pytest.mark.slow


def _variant(tmp_path: Path, edit: object) -> Path:
    spec = yaml.safe_load(SPEC.read_text())
    assert callable(edit)
    edit(spec)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_regression_on_a_csv_source_is_promoted_and_serves(tmp_path: Path) -> None:
    stack_python()
    stack = build(SPEC, tmp_path / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-4000:]
    outcome = last_run(stack)
    assert outcome["status"] == "promoted"
    (model,) = outcome["models"]
    assert model["stage"] == "production" and model["promoted"]
    assert model["metrics"]["r2"] >= model["oracle"]["r2"] - R2_MARGIN
    loaded = load_production(stack, "price_model")
    assert loaded == {"rows": 300, "columns": ["prediction"], "finite": True}


PLANT = """
import json
from pathlib import Path
from pipelines.stack_plan import load_plan
from pipelines.synthetic import generate
plan = load_plan()
frame = generate(plan, plan.sources[0], 2000, seed=3)
frame = frame[[c for c in frame.columns if not c.startswith("_")]]
{plant}
Path("data").mkdir(exist_ok=True)
{write}
print(json.dumps(len(frame)))
"""


def _write_data(stack: Path, plant: str, write: str) -> None:
    assert run_json(stack, PLANT.format(plant=plant, write=write)) == 2000


def test_a_sqlite_source_is_read_and_trains(tmp_path: Path) -> None:
    stack_python()

    def to_sqlite(spec: dict) -> None:  # type: ignore[type-arg]
        spec["data"]["sources"][0]["uri"] = "sqlite:///data/listings.db"

    stack = build(_variant(tmp_path, to_sqlite), tmp_path / "stack")
    write = (
        "import sqlite3\n"
        "with sqlite3.connect('data/listings.db') as db:\n"
        "    frame.astype({'listed_at': str, 'district': str}).to_sql('listings', db)"
    )
    _write_data(stack, "", write)
    done = run_pipelines(stack)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "not reachable" not in done.stderr
    with sqlite3.connect(stack / "data" / "listings.db") as db:
        (rows,) = db.execute("select count(*) from listings").fetchone()
    assert rows == 2000


def test_a_leaking_column_stops_the_run_naming_it(tmp_path: Path) -> None:
    stack_python()

    def plant(spec: dict) -> None:  # type: ignore[type-arg]
        spec["data"]["sources"][0]["schema"]["sale_tax"] = {"type": "float", "min": 0}
        spec["models"][0]["inputs"].append("sale_tax")

    stack = build(_variant(tmp_path, plant), tmp_path / "stack")
    plant_tax = "frame['sale_tax'] = frame['price'] * 0.05"
    _write_data(stack, plant_tax, "frame.to_csv('data/listings.csv', index=False)")
    done = run_pipelines(stack)
    assert done.returncode == 4, done.stderr[-4000:]
    assert "sale_tax" in done.stderr and "Traceback" not in done.stderr
    assert last_run(stack)["status"] == "failed"


def test_a_candidate_below_its_gate_is_registered_but_not_promoted(tmp_path: Path) -> None:
    stack_python()

    def strict(spec: dict) -> None:  # type: ignore[type-arg]
        spec["models"][0]["gates"] = [{"metric": "r2", "min": 0.999}]

    stack = build(_variant(tmp_path, strict), tmp_path / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 3, done.stderr[-4000:]
    (model,) = last_run(stack)["models"]
    assert model["stage"] == "staging" and not model["promoted"]
    assert model["gates"][0]["passed"] is False


def test_batch_scoring_schedule_lines_and_progress_events(tmp_path: Path) -> None:
    stack_python()

    def batch(spec: dict) -> None:  # type: ignore[type-arg]
        spec["slo"].pop("latency_p95_ms")
        spec["serving"] = {
            "mode": "batch",
            "models": ["price_model"],
            "batch": {
                "schedule": "0 3 * * *",
                "window_minutes": 60,
                "output_uri": "data/valuations",
                "rows_per_run": 10000,
            },
        }

    stack = build(_variant(tmp_path, batch), tmp_path / "stack")
    events = tmp_path / "events.jsonl"
    env = {"MLOPSGEN_EVENTS": str(events)}
    trained = run_in_stack(stack, ["-m", "pipelines.run", "--rows", ROWS], extra_env=env)
    assert trained.returncode == 0
    scored = run_in_stack(
        stack, ["-m", "pipelines.run", "--rows", "300", "--pipeline", "batch_price_model"]
    )
    assert scored.returncode == 0
    written = run_json(
        stack,
        "import json, pandas as pd\n"
        "f = pd.read_parquet('data/valuations/price_model/predictions.parquet')\n"
        "print(json.dumps([len(f), sorted(f.columns)]))",
    )
    assert written == [300, ["listing_id", "prediction"]]
    elsewhere = run_json(
        stack,
        "import json, os, tempfile, pandas as pd\n"
        "from pipelines.models import model_version\n"
        "model_version('price_model')\n"
        "from pipelines.steps.score import write_predictions\n"
        "os.chdir(tempfile.mkdtemp())\n"
        "path = write_predictions(pd.DataFrame({'a': [1]}), 'data/valuations', 'm', 'auto')\n"
        "cloud = write_predictions(pd.DataFrame({'a': [1]}), 's3://b/p', 'm', 'auto')\n"
        "print(json.dumps([path, cloud]))",
    )
    assert elsewhere == [
        str(stack.resolve() / "data" / "valuations" / "m" / "predictions.parquet"),
        str(stack.resolve() / "data" / "batch" / "m" / "predictions.parquet"),
    ]
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert lines[0] == {
        "event": "pipeline",
        "name": "train_price_model",
        "status": "started",
        "pipeline": "train_price_model",
    }
    steps = [e["name"] for e in lines if e["event"] == "step" and e["status"] == "completed"]
    assert steps == [
        "ingest",
        "validate",
        "features",
        "check_leakage",
        "train",
        "evaluate",
        "register",
    ]
    assert lines[-1]["status"] == "completed"
    crontab = run_in_stack(stack, ["-m", "pipelines.run", "--schedule"]).stdout
    assert "0 3 * * * cd " in crontab and "--pipeline batch_price_model" in crontab
    assert "--pipeline train_price_model" in crontab
