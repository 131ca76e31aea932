# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Plans of edited reference specs: local profile, batch only, measured calibration, regions."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REPO
from tests.unit.plan_support import FRAUD, RECOMMENDATION, TIME_SERIES, codes, label, variant


def test_local_profile_has_no_pools_and_no_bill() -> None:
    outcome = variant(RECOMMENDATION, [(("infrastructure", "cloud"), "local")])
    plan = outcome.plan
    assert plan.compute.profile == "local"
    assert plan.compute.pools == ()
    assert plan.cost.total_usd_month == 0
    assert plan.cost.items == ()
    store = plan.features.online_store
    assert (store.kind, store.service, store.node_type) == ("sqlite", "sqlite", None)
    assert store.path == "data/online_store.db"
    assert plan.features.offline_location == "data/offline"
    assert plan.infrastructure.zones == ()
    assert plan.serving.cache is not None and plan.serving.cache.backend == "memory"
    # capacity is still planned for the SLO the spec states
    assert plan.serving.capacity is not None and plan.serving.capacity.replicas == 6


def test_batch_only_serving_has_no_realtime_fleet() -> None:
    edits = [(("serving", "mode"), "batch"), (("slo", "latency_p95_ms"), None)]
    outcome = variant(TIME_SERIES, edits)
    plan = outcome.plan
    assert not plan.serving.realtime
    assert (plan.serving.capacity, plan.serving.hpa, plan.serving.pdb) == (None, None, None)
    assert not plan.serving.batching.enabled
    assert plan.monitoring.latency_alert is None
    assert [p.role for p in plan.compute.pools] == ["system", "training"]
    # one sized worker; the c7i.4xlarge it holds runs two, so the job fills it
    assert plan.serving.batch is not None and plan.serving.batch.workers == 2
    assert codes(outcome) == []


def test_measured_calibration_overrides_the_table() -> None:
    # fraud_xgb measured at 2 ms and 5000 rps; S = 1 + 1.5 + 2 + 0.5 + 1 + 0.1 = 6.1 ms
    measured = {"service_time_ms": 2.0, "per_replica_rps": 5000}
    outcome = variant(FRAUD, [(("models", 0, "calibration"), measured)])
    model = outcome.plan.model("fraud_xgb")
    assert (model.calibration.origin, model.calibration.per_replica_rps) == ("spec", 5000)
    cap = outcome.plan.serving.capacity
    assert cap is not None
    assert cap.service_time_ms == 6.1
    # only the 1 ms server stage queues before the 40 ms window, and a batch of two still
    # fits half of it (5.1 + 4 × (1/5000 + 1/5000 + 1/15000 + 1/10000 + 1/50000) s = 7.45 ms):
    # ρ stays at the 0.7 cap; the slower model makes batches smaller: 1 + (20 − 5.1) / 2.347
    # = 7.35 → 4
    assert cap.utilisation == pytest.approx(0.7, abs=1e-4)
    assert outcome.plan.serving.batching.max_batch_size == 4


def test_measured_service_time_alone_gives_throughput_per_worker() -> None:
    # no measured throughput: 4 workers × 1000 / 2 ms = 2000 rps per replica
    outcome = variant(FRAUD, [(("models", 0, "calibration"), {"service_time_ms": 2.0})])
    calibration = outcome.plan.model("fraud_xgb").calibration
    assert calibration.per_replica_rps == 2000
    assert calibration.adjustments[-1].startswith("per_replica_rps = 4 workers")


def test_unknown_region_assumes_three_zones() -> None:
    outcome = variant(FRAUD, [(("infrastructure", "region"), "eu-north-9")])
    assert outcome.plan.infrastructure.zones == ("eu-north-9a", "eu-north-9b", "eu-north-9c")
    decision = outcome.plan.decision("infrastructure.zones")
    assert "three zones a-c assumed" in decision.reason


def test_more_traffic_more_replicas_on_the_same_path() -> None:
    # 200,000 rps: N = ceil(200000 / (1421.8 × 0.7)) = ceil(200.95) = 201
    # per zone ceil(201 / 2) + 1 = 102 → 306 replicas
    outcome = variant(FRAUD, [(("slo", "throughput", "peak_rps"), 200000)])
    cap = outcome.plan.serving.capacity
    assert cap is not None
    assert (cap.replicas_needed, cap.replicas_per_zone, cap.replicas) == (201, 102, 306)


def test_experiment_arms_share_the_traffic_of_their_models() -> None:
    # ranker_v2 answers the treatment arm: 20 % of traffic enrolled, split 50/50
    # ranker (control): 80 % outside + 10 % in control = 0.9 of the misses; ranker_v2: 0.1
    # replica time per request: 1/4000 + 1/20000 + 0.65/5000 + 0.65/1200
    #   + 0.65 × 0.9/15000 + 0.65 × 0.1/15000 = 1/985.22: as if one ranker were called
    #   (charging both on every request would give 1/(1/985.22 + 0.65/15000) = 944.9)
    # S = 1 + 0.5 + 1.5 + 5 + max(0.5, 0.5) = 8.5 ms: a request pays one of the two
    models = yaml.safe_load((REPO / label(RECOMMENDATION)).read_text(encoding="utf-8"))["models"]
    v2 = {**models[1], "name": "ranker_v2"}
    experiment = ("serving", "experiments", 0)
    edits = [
        (("models",), [*models, v2]),
        (("serving", "models"), ["two_tower", "ranker", "ranker_v2"]),
        ((*experiment, "variants", "treatment"), {"model": "ranker_v2"}),
    ]
    plan = variant(RECOMMENDATION, edits).plan
    stages = {s.name: s for s in plan.serving.stages}
    assert (stages["model:ranker"].share, stages["model:ranker_v2"].share) == (0.9, 0.1)
    assert stages["model:two_tower"].share == 1
    cap = plan.serving.capacity
    assert cap is not None
    assert cap.per_replica_rps == pytest.approx(985.222, abs=1e-3)
    assert cap.service_time_ms == 8.5
    # per-model peak: 1736.11 rps × 0.65 misses × share
    assert plan.decision("serving.models.ranker_v2.peak_rps").value == pytest.approx(112.847, 1e-4)
