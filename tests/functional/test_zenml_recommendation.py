"""The recommendation stack trains for real: two-tower retrieval, a LambdaRank ranker, Feast.

One build and one run of both training pipelines serve every test here. The synthetic
interactions have the structure the two stages exploit (users' tastes, items' topics and
quality, a popularity long tail, position bias on clicks), so the two-tower model must beat
the popularity baseline's recall@100 and both models must come within a stated margin of the
generator's oracle, which knows every taste. The production versions load back from the
Model Control Plane in a fresh process and serve a user never seen in training: the stream
consumer pushes the user's first events from a snapshot directory (the stream source as the
stack reads it), the two-tower model returns candidates, and the ranker scores them with the
online features of that user and of the candidates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import build, last_run, run_pipelines

SPEC = SPECS / "recommendation.yaml"
ROWS = "8000"
#: recall@100 may trail the oracle's by this much: users with little or no history before the
#: hold-out get popularity-led candidates, while the oracle knows their taste.
RECALL_MARGIN = 0.2
#: NDCG@10 may trail the oracle's by this much: the ranker's inputs (position, context, view
#: aggregates) do not reveal a user's taste, which the oracle's click odds include.
NDCG_MARGIN = 0.15

pytestmark = pytest.mark.slow

SERVE_FRESH_USER = """
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
import numpy as np
import pandas as pd
from pipelines import feature_store
from pipelines.families import ranking, retrieval
from pipelines.families.interaction_data import item_topics, key_index, user_topics
from pipelines.models import production_model
from pipelines.stack_plan import load_plan
plan = load_plan()
root = Path(".")
retriever = production_model("two_tower")
ranker = production_model("ranker")
user = "u_fresh_1"
now = datetime.now(UTC).replace(microsecond=0)
snapshot = root / "data" / "snapshot-test"
snapshot.mkdir(parents=True, exist_ok=True)
events = pd.DataFrame({
    "event_id": ["fresh-1", "fresh-2", "fresh-3"], "user_id": user,
    "item_id": ["i0", "i1", "i2"], "surface": "home", "device": "web", "position": [0, 1, 2],
    "dwell_seconds": [30.0, 50.0, 70.0], "clicked": [True, False, False],
    "ts": [(now - timedelta(minutes=m)).isoformat() for m in (3, 2, 1)],
})
events.to_json(snapshot / "events.jsonl", orient="records", lines=True)
pushed = feature_store.push_from_snapshot("user_activity", snapshot, root)
feature_store.materialize(root, now)
(candidates,) = retrieval.recommend(retriever, [user], 100)
rows = [{"user_id": user, "item_id": item} for item in candidates]
online = feature_store.online_features("ranker", rows, root)
frame = pd.DataFrame(online).assign(surface="home", device="web", position=0)
spec = plan.model("ranker")
scores = ranking.predict(spec, ranker, frame)["score"].to_numpy()
known = [f"u{u}" for u in range(5)]
lists = retrieval.recommend(retriever, known, 20)
favourite = user_topics(key_index(known))
def taste_share(lists):
    return float(np.mean([np.mean(item_topics(key_index(items)) == f)
                          for items, f in zip(lists, favourite)]))
popular = [retriever.items[i] for i in retriever.popular[:20]]
print(json.dumps({
    "pushed": pushed["pushed"], "clicks_1h": online["user_activity__clicks_1h"][:1],
    "candidates": len(candidates), "distinct": len(set(candidates)),
    "in_catalogue": all(item in set(retriever.items) for item in candidates),
    "scored": int(np.isfinite(scores).sum()),
    "item_features": int(pd.notna(frame["item_popularity__impressions_7d"]).sum()),
    "taste_share": taste_share(lists), "popular_taste_share": taste_share([popular] * 5),
}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recommendation stack, built and trained once for the module."""
    stack_python()
    stack = build(SPEC, tmp_path_factory.mktemp("recommendation") / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    return stack


def _models(stack: Path) -> dict[str, dict[str, Any]]:
    outcome = last_run(stack)
    assert outcome["status"] == "promoted", outcome
    return {m["name"]: m for m in outcome["models"]}


def test_two_tower_beats_popularity_and_comes_near_the_oracle(stack: Path) -> None:
    model = _models(stack)["two_tower"]
    metrics, oracle = model["metrics"], model["oracle"]
    assert model["stage"] == "production" and model["promoted"]
    assert all(gate["passed"] for gate in model["gates"]), model["gates"]
    assert metrics["recall_at_100"] > metrics["popularity_recall_at_100"], metrics
    assert metrics["recall_at_100"] >= oracle["recall_at_100"] - RECALL_MARGIN, model
    assert oracle["recall_at_100"] > oracle["popularity_recall_at_100"]
    assert metrics["users_evaluated"] >= 15


def test_ranker_learns_beyond_chance_and_comes_near_the_oracle(stack: Path) -> None:
    model = _models(stack)["ranker"]
    metrics, oracle = model["metrics"], model["oracle"]
    assert model["stage"] == "production" and model["promoted"]
    assert all(gate["passed"] for gate in model["gates"]), model["gates"]
    assert metrics["ndcg_at_10"] >= metrics["chance_ndcg_at_10"] + 0.1, metrics
    assert metrics["ndcg_at_10"] >= oracle["ndcg_at_10"] - NDCG_MARGIN, model
    assert metrics["queries_evaluated"] >= 20


def test_production_models_serve_a_fresh_user_from_stream_and_online_features(
    stack: Path,
) -> None:
    served = run_json(stack, SERVE_FRESH_USER)
    assert served["pushed"] == 1
    assert served["clicks_1h"] == [3]  # the snapshot's three events, through the push source
    assert served["candidates"] == served["distinct"] == 100
    assert served["in_catalogue"]
    assert served["scored"] == 100
    # materialised item aggregates: the candidates shown within the view's TTL (a day)
    assert served["item_features"] >= 50
    # candidates of known users follow their taste far more than the popular items do
    assert served["taste_share"] >= served["popular_taste_share"] + 0.3, served


SYNTHETIC_SOURCES = """
import json
import numpy as np
import pandas as pd
from pipelines.synthetic import generate
from pipelines.stack_plan import load_plan
plan = load_plan()
source = plan.source("interactions")
from datetime import UTC, datetime
end = datetime(2026, 1, 1, tzinfo=UTC)
frame = generate(plan, source, 3000, seed=3, end=end)
again = generate(plan, source, 3000, seed=3, end=end)
items = generate(plan, plan.source("items"), 3000, seed=3, end=end)
declared = {f.name: f for f in source.fields}
ranges = {name: [float(frame[name].min()), float(frame[name].max())]
          for name in ("position", "dwell_seconds")}
categories = {name: sorted(set(frame[name].astype(str)) - set(declared[name].values))
              for name in ("surface", "device")}
slate = frame.groupby(["user_id", "ts"]).size()
print(json.dumps({
    "columns": sorted(frame.columns), "schema": sorted(declared),
    "nulls": sorted(c for c in declared if not declared[c].nullable and frame[c].isna().any()),
    "ranges": ranges, "unknown_categories": categories,
    "click_rate": float(frame["clicked"].mean()),
    "oracle_rate": float(frame["_oracle__clicked"].mean()),
    "sorted": bool(frame["ts"].is_monotonic_increasing), "slate_rows": float(slate.mean()),
    "items_known": float(frame["item_id"].isin(set(items["item_id"])).mean()),
    "spelling": sorted({k[:1] for k in pd.concat([frame["item_id"], items["item_id"]])}),
    "repeatable": bool(frame.equals(again)),
}))
"""


def test_synthetic_interactions_fill_the_schema_in_slates_over_the_items_catalogue(
    stack: Path,
) -> None:
    found = run_json(stack, SYNTHETIC_SOURCES)
    assert found["columns"] == sorted([*found["schema"], "_oracle__clicked"])
    assert found["nulls"] == []
    assert found["ranges"]["position"][0] >= 0 and found["ranges"]["position"][1] <= 200
    assert 0 <= found["ranges"]["dwell_seconds"][0] <= found["ranges"]["dwell_seconds"][1] <= 86400
    assert found["unknown_categories"] == {"surface": [], "device": []}
    assert 0.03 <= found["click_rate"] <= 0.08
    assert found["oracle_rate"] == pytest.approx(0.05, abs=0.005)
    assert found["sorted"] and found["slate_rows"] >= 5  # a request's rows share user and time
    assert found["items_known"] >= 0.95  # the catalogue table names the same items
    assert found["spelling"] == ["i"]
    assert found["repeatable"]
