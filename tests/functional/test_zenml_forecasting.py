"""The time-series stack trains for real: many series in the plan's shards and waves, promoted.

``mlopsgen run`` writes the synthetic sales as daily series (one per shard at least), holds
out the last ``horizon_days`` of each series, trains the forecaster shard by shard in the
plan's waves and the anomaly detector beside it, and promotes both. The forecaster must come
within a stated margin of the oracle's MAPE (the noise-free expected demand: about 0.04 here)
and beat seasonal-naive (about 0.10): the same forecaster blind to promotions scores about
0.10 and one without the weekly season about 0.16, both outside the margin. The production
version loads back from the Model Control Plane in a fresh process and forecasts the next
horizon of its series.

One build and one run (``ROWS`` = 100 shards x 56 days, the shortest history the generator
writes for a 28-day horizon) serve every test of the module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import last_run

SPEC = SPECS / "time-series-forecasting.yaml"
MLOPSGEN = Path(sys.executable).parent / "mlopsgen"
#: 100 series (the plan's shards) x 56 days (28 to train on, then the 28-day horizon).
ROWS = "5600"
#: The forecaster's hold-out MAPE may exceed the oracle's by at most this much.
MAPE_MARGIN = 0.04

pytestmark = pytest.mark.slow

GENERATOR = """
import json
from datetime import UTC, datetime
import numpy as np
import pandas as pd
from pipelines.data import DEFAULT_ROWS
from pipelines.stack_plan import load_plan
from pipelines.families import forecasting
from pipelines.synthetic import ORACLE_PREFIX, generate
from pipelines.synthetic_series import min_days
plan = load_plan()
source = plan.source("sales")
model = plan.model("demand_forecast")
end = datetime(2026, 6, 1, 12, tzinfo=UTC)
frame = generate(plan, source, DEFAULT_ROWS, seed=3, end=end)
again = generate(plan, source, DEFAULT_ROWS, seed=3, end=end)
other = generate(plan, source, DEFAULT_ROWS, seed=4, end=end)
days = frame.groupby("series_id")["day"].agg(["min", "max", "count"])
fields = {}
for f in source.fields:
    column = frame[f.name]
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    fields[f.name] = {
        "dtype": str(column.dtype),
        "min": float(column.min()) if numeric else None,
        "max": float(column.max()) if numeric else None,
        "values": sorted(map(str, column.unique())) if f.type == "category" else None,
        "nulls": int(column.isna().sum()),
    }
regions = frame.groupby("series_id", observed=True)["store_region"].nunique()
print(json.dumps({
    "rows": len(frame), "columns": list(frame.columns), "fields": fields,
    "series": len(days), "shortest": int(days["count"].min()), "min_days": min_days(model),
    "one_day_apart": bool((frame.groupby("series_id")["day"].diff().dropna()
                           == pd.Timedelta(days=1)).all()),
    "last_day": str(days["max"].max()), "all_end_together": bool(days["max"].nunique() == 1),
    "sorted": bool(frame["day"].is_monotonic_increasing),
    "region_per_series": int(regions.max()),
    "planted": float(frame["_planted_anomaly"].mean()),
    "oracle_error": float((frame["units_sold"] / frame["_oracle__units_sold"] - 1).abs().mean()),
    "oracle_prefix": forecasting.ORACLE_PREFIX == ORACLE_PREFIX,
    "same_seed_equal": bool(frame.equals(again)), "other_seed_equal": bool(frame.equals(other)),
}))
"""

LOAD_AND_FORECAST = """
import json
import numpy as np
import pandas as pd
from pipelines.families import forecasting
from pipelines.holdout import split
from pipelines.models import production_model
from pipelines.stack_plan import load_plan
plan = load_plan()
model = plan.model("demand_forecast")
fitted = production_model(model.name)
sales = pd.read_parquet("data/sources/sales.parquet")
_, holdout = split(model, plan.source(model.source), sales)
again = forecasting.evaluate(model, fitted, holdout)
ids = sorted(fitted.last_day)[:5]
fresh = pd.DataFrame([
    {"series_id": sid, "day": fitted.last_day[sid] + pd.Timedelta(days=step),
     "on_promotion": step % 9 == 0, "price_usd": 10.0}
    for sid in ids for step in range(1, model.horizon_days + 1)
])
forecast = forecasting.predict(model, fitted, fresh)["prediction"].to_numpy()
anomaly = production_model("demand_anomaly")
print(json.dumps({
    "mape": again["mape"], "rows": len(forecast), "horizon": model.horizon_days,
    "finite": bool(np.isfinite(forecast).all()), "positive": bool((forecast > 0).all()),
    "anomaly_type": type(anomaly).__name__,
}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack, built and run once by ``mlopsgen run`` on the synthetic series."""
    python = stack_python()
    out = tmp_path_factory.mktemp("forecasting") / "stack"
    done = subprocess.run(
        [
            str(MLOPSGEN),
            "run",
            str(SPEC),
            "--out",
            str(out),
            "--python",
            str(python),
            "--rows",
            ROWS,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    log = out / ".mlopsgen" / "run.log"
    tail = log.read_text(encoding="utf-8")[-6000:] if log.exists() else done.stderr[-6000:]
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{tail}"
    return out


@pytest.fixture(scope="module")
def models(stack: Path) -> dict[str, Any]:
    """The run's summary rows by model name."""
    outcome = last_run(stack)
    assert outcome["status"] == "promoted", outcome
    return {m["name"]: m for m in outcome["models"]}


@pytest.fixture(scope="module")
def partition(stack: Path) -> dict[str, Any]:
    """The forecaster's planned partition (shards, waves)."""
    plan = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    entry = next(m for m in plan["models"] if m["name"] == "demand_forecast")
    return dict(entry["partition"])


def test_both_models_are_promoted(models: dict[str, Any]) -> None:
    assert sorted(models) == ["demand_anomaly", "demand_forecast"]
    for model in models.values():
        assert model["stage"] == "production" and model["promoted"], model
    (gate,) = models["demand_forecast"]["gates"]
    assert gate["metric"] == "mape" and gate["passed"] and gate["value"] <= 0.25
    assert models["demand_anomaly"]["gates"] == []
    assert models["demand_anomaly"]["metrics"]["roc_auc"] >= 0.9  # planted anomalies found


def test_the_forecaster_is_near_the_oracle_and_beats_seasonal_naive(
    models: dict[str, Any],
) -> None:
    forecast = models["demand_forecast"]
    metrics, oracle = forecast["metrics"], forecast["oracle"]
    assert metrics["mape"] <= oracle["mape"] + MAPE_MARGIN, (metrics, oracle)
    assert oracle["mape"] < metrics["mape"]  # the oracle is the bound, not a copy of the labels
    assert metrics["mape"] < metrics["seasonal_naive_mape"], metrics
    assert metrics["smape"] < metrics["seasonal_naive_smape"]
    assert metrics["beats_seasonal_naive"] == 1.0


def test_the_planned_shards_are_trained_in_the_planned_waves(
    models: dict[str, Any], partition: dict[str, Any]
) -> None:
    metrics = models["demand_forecast"]["metrics"]
    assert metrics["shards_trained"] == partition["shards"] == 100
    assert metrics["waves"] == partition["waves"] == 4
    assert metrics["series"] >= partition["shards"]


def test_the_production_forecaster_loads_back_and_forecasts_the_next_horizon(
    stack: Path, models: dict[str, Any]
) -> None:
    result = run_json(stack, LOAD_AND_FORECAST)
    assert result["mape"] == pytest.approx(models["demand_forecast"]["metrics"]["mape"])
    assert result["rows"] == 5 * result["horizon"]
    assert result["finite"] and result["positive"]
    assert result["anomaly_type"] == "AnomalyModel"


def test_the_series_generator_follows_the_schema_and_the_plan(
    stack: Path, partition: dict[str, Any]
) -> None:
    result = run_json(stack, GENERATOR)
    fields = result["fields"]
    assert result["rows"] >= 20000
    assert result["columns"][:6] == [
        "day", "on_promotion", "price_usd", "series_id", "store_region", "units_sold",
    ]  # fmt: skip
    assert "_oracle__units_sold" in result["columns"]
    assert result["oracle_prefix"]  # the family names the generator's oracle columns alike
    assert fields["day"]["dtype"].startswith("datetime64")
    assert fields["on_promotion"]["dtype"] == "bool"
    assert fields["store_region"]["dtype"] == "category"
    assert fields["store_region"]["values"] == ["east", "north", "south", "west"]
    assert fields["units_sold"]["min"] >= 0 and fields["units_sold"]["max"] <= 1_000_000
    assert fields["price_usd"]["min"] >= 0 and fields["price_usd"]["max"] <= 100_000
    assert all(field["nulls"] == 0 for field in fields.values())
    assert result["series"] >= partition["shards"]
    assert result["shortest"] >= result["min_days"]
    assert result["one_day_apart"] and result["sorted"] and result["all_end_together"]
    assert result["last_day"].startswith("2026-06-01")
    assert result["region_per_series"] == 1  # a category is an attribute of the series
    assert 0.005 < result["planted"] < 0.05
    assert 0.01 < result["oracle_error"] < 0.1  # noise around the expected demand, not none
    assert result["same_seed_equal"] and not result["other_seed_equal"]
