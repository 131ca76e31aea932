"""The serving benchmark's baseline: the fraud service as a team writes it by hand.

FastAPI and uvicorn, a pydantic request model, the same Feast online reads from the stack's
feature repository, the same model files (the ones ``python -m services.export`` put in the
BentoML store) loaded once per worker, the ensemble, anomaly flag, rules and thresholds in
plain Python, and one request scored at a time: no adaptive batching, no shedding, no
metrics. It answers the generated service's ``POST /predict`` body (``{"rows": [...]}``) with
the same shape of answer, so one load test drives both.

Run by ``bench/serve.py`` from the stack root with the stack's interpreter:
``python -m uvicorn fastapi_baseline:app --app-dir <bench> --workers N``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import bentoml
import cloudpickle
import pandas as pd
from fastapi import FastAPI
from feast import FeatureStore
from pipelines.families import anomaly, tabular
from pipelines.stack_plan import load_plan
from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(os.environ.get("MLOPSGEN_STACK_ROOT", ".")).resolve()
ENSEMBLE = {"fraud_xgb": 0.6, "fraud_lgbm": 0.4}
ANOMALY = "txn_anomaly"
DECLINE_AT, REVIEW_AT = 0.90, 0.60
SANCTIONED = ("KP", "IR", "SY")
USER_FEATURES = ("txn_count_1h", "amount_sum_24h", "distinct_merchants_24h")
FEATURES = [f"user_velocity:{name}" for name in USER_FEATURES] + ["merchant_risk:fraud_rate_30d"]
#: An unknown user has no transactions in its windows; an unknown merchant has no rate.
DEFAULTS = {f"user_velocity__{name}": 0 for name in USER_FEATURES}


class Row(BaseModel):
    """One transaction, as the fraud spec's request fields describe it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    transaction_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    merchant_id: str = Field(min_length=1)
    amount_usd: float = Field(ge=0.0, le=1_000_000.0)
    currency: Literal["USD", "EUR", "GBP", "JPY"]
    country: Literal["US", "GB", "DE", "FR", "JP", "BR", "IN", "KP", "IR", "SY"]
    channel: Literal["web", "app", "pos"]


class Body(BaseModel):
    """The request body: a list of rows (the load test sends one)."""

    rows: list[Row]


def _load(name: str) -> Any:
    with open(bentoml.models.get(name).path_of("fitted.pkl"), "rb") as handle:
        return cloudpickle.load(handle)


plan = load_plan(ROOT)
specs = {name: plan.model(name) for name in (*ENSEMBLE, ANOMALY)}
fitted = {name: _load(name) for name in specs}
store = FeatureStore(repo_path=str(ROOT / "features"))
app = FastAPI()


def _features(row: Row) -> dict[str, Any]:
    found = store.get_online_features(
        features=FEATURES,
        entity_rows=[{"user_id": row.user_id, "merchant_id": row.merchant_id}],
        full_feature_names=True,
    ).to_dict()
    values = {name: found[name][0] for name in found if "__" in name}
    return {name: DEFAULTS.get(name) if value is None else value for name, value in values.items()}


def _score(row: Row) -> dict[str, Any]:
    features = _features(row)
    frame = pd.DataFrame([{**row.model_dump(), **features}])
    scores = {
        name: float(tabular.predict(specs[name], fitted[name], frame)["score"].iloc[0])
        for name in ENSEMBLE
    }
    flagged = bool(anomaly.predict(specs[ANOMALY], fitted[ANOMALY], frame)["prediction"].iloc[0])
    score = sum(weight * scores[name] for name, weight in ENSEMBLE.items())
    count = features["user_velocity__txn_count_1h"]
    fired = []
    if row.country in SANCTIONED:
        fired.append("sanctioned_country")
    if row.amount_usd > 5000 and count == 0:
        fired.append("large_new_user")
    if count > 20:
        fired.append("velocity_spike")
    if "sanctioned_country" in fired or score >= DECLINE_AT:
        decision = "decline"
    elif fired or flagged or score >= REVIEW_AT:
        decision = "review"
    else:
        decision = "approve"
    return {"prediction": score, "decision": decision, "rules_fired": fired, "scores": scores}


@app.post("/predict")
def predict(body: Body) -> list[dict[str, Any]]:
    """Score each row on its own, in order."""
    return [_score(row) for row in body.rows]


@app.get("/readyz")
def ready() -> dict[str, str]:
    """Ready once the module has loaded the models and opened the store."""
    return {"status": "ok"}
