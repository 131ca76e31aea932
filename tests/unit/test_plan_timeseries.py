# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Time-series forecasting: 100,000 series trained in parallel shards, batch forecasts.

Expected numbers are worked out by hand in the comments from the spec and the calibration
table, never by calling the planner's own formulas.
"""

from __future__ import annotations

import pytest

from tests.unit.plan_support import TIME_SERIES, codes, plan, result


def test_shards_from_series_count() -> None:
    # 100,000 series (entity "series" keyed by series_id) / 1,000 per statsforecast shard
    #   = 100 shards; 32 workers → ceil(100 / 32) = 4 waves
    partition = plan(TIME_SERIES).model("demand_forecast").partition
    assert partition is not None
    assert partition.cardinality == 100000
    assert partition.cardinality_from == "entity series cardinality"
    assert (partition.shards, partition.concurrent_workers, partition.waves) == (100, 32, 4)
    training = {m.name: m for m in plan(TIME_SERIES).training.models}
    assert training["demand_forecast"].shards == 100
    assert training["demand_anomaly"].shards == 1


def test_forecasting_details_survive() -> None:
    model = plan(TIME_SERIES).model("demand_forecast")
    assert model.horizon_days == 28
    assert model.seasonality_days == (7, 365.25)
    assert [i.name for i in model.inputs] == [
        "price_usd",
        "on_promotion",
        "series_recent.units_mean_7d",
        "series_recent.units_mean_28d",
        "series_recent.units_stddev_28d",
    ]
    assert [i.type for i in model.inputs] == ["float", "bool", "float", "float", "float"]


def test_realtime_capacity_and_memory() -> None:
    # S = 1 + 1.5 + 4 + 1 = 7.5 ms; rps = 1 / (1/4000 + 1/10000 + 1/800 + 1/10000)
    #   = 1 / 0.0017 = 588.2; the 490 ms batching window leaves 10 ms for the server
    #   stage in front of it: ρ = min(0.7, 1 − 2.9957 × 1 / 10 = 0.7004) = 0.7
    # memory: every series model is loaded: 100,000 × 0.02 MB = 2000 MB + 20 MB anomaly
    #   (1024 + 4 × 2020) × 1.25 = 11,380 MB → 12 GiB; one replica per zone, so the
    #   cheapest node holding one pod: c7i.4xlarge (32 − 2 = 30 GiB, 2 pods) at $0.714/h
    serving = plan(TIME_SERIES).serving
    cap = serving.capacity
    assert cap is not None
    assert cap.per_replica_rps == pytest.approx(588.235, abs=1e-3)
    assert cap.utilisation_raw == pytest.approx(0.7004, abs=1e-4)
    assert (cap.replicas_needed, cap.replicas) == (1, 2)
    assert serving.replica.memory_gib == 12
    pool = next(p for p in plan(TIME_SERIES).compute.pools if p.role == "serving")
    assert (pool.instance_type, pool.pods_per_node) == ("c7i.4xlarge", 2)


def test_batch_forecasts_and_training_pool() -> None:
    # 2,800,000 rows at 1 / (1/800 + 1/10000) = 740.7 rows/s, half of 180 min:
    # ceil(2.8M / (740.7 × 10,800 × 0.5)) = ceil(0.70) = 1 worker sized; its node
    # (c7i.4xlarge, 15 vCPU / 30 GiB allocatable) holds 2 workers of 4 vCPU / 12 GiB, so the
    # job fills it: 2 workers, 2.8M / (2 × 740.7) / 60 = 31.5 min
    batch = plan(TIME_SERIES).serving.batch
    assert batch is not None
    assert batch.workers == 2
    assert batch.expected_minutes == pytest.approx(31.5, abs=1e-6)
    # training pool, priced by the month's runs on whole nodes, CPU jobs widened to the cores
    #   of the nodes they hold: demand_forecast's 32 workers (sized 2 vCPU / 4 GiB, 4 waves,
    #   30 runs); demand_anomaly (2 / 6) alone on a node; the batch workers (4 / 12) fill a node.
    #   c7i.4xlarge (15 vCPU, 30 GiB allocatable): 7 shards a node → ceil(32 / 7) = 5 nodes,
    #   ceil(32 / 5) = 7 pods a node of 15 / 7 = 2.142 vCPU → 0.08381 h:
    #   5 × 4 × 0.08381 × 30 = 50.29, demand_anomaly at 15 vCPU 0.09685 × 30 = 2.906,
    #   batch 2 workers on 1 node 30 × 31.5 min = 15.75 → 68.94 node-hours × $0.714
    #   = $49/month; c7i.8xlarge (31, 62): 15 a node → 3 nodes of 11 pods at 2.818 vCPU,
    #   31 vCPU for demand_anomaly, 5 batch workers a node: $56/month → c7i.4xlarge
    # its ceiling holds every pod that runs at once: 32 / 7 + 1 / 1 + 2 / 2 = 6.57 → 7 nodes
    pool = next(p for p in plan(TIME_SERIES).compute.pools if p.role == "training")
    assert pool.instance_type == "c7i.4xlarge"
    assert (pool.min_nodes, pool.max_nodes, pool.capacity_type) == (0, 7, "spot")
    jobs = {m.name: m for m in plan(TIME_SERIES).training.models}
    forecast = jobs["demand_forecast"]
    assert (forecast.cpu, forecast.hours_per_shard) == (2.142, pytest.approx(0.08381, abs=1e-5))
    assert jobs["demand_anomaly"].cpu == 15


def test_batching_budget_and_views() -> None:
    # window floor(500 − 2.9957 × 1 / 0.3) = floor(490.01) = 490 ms; the batched call:
    # one row 1.5 + 4 + 1 = 6.5 ms, each further row 4 × (1/10000 + 1/800 + 1/10000) s
    # = 5.8 ms on one worker → 1 + (245 − 6.5) / 5.8 = 42.1 → 32
    batching = plan(TIME_SERIES).serving.batching
    assert (batching.max_latency_ms, batching.max_batch_size) == (490, 32)
    view = plan(TIME_SERIES).features.views[0]
    # TTL 2 d: refresh every 6 h (6 h × 4 ≤ 48 h, 24 h × 4 > 48 h); staleness 6 h + 1 d lag
    assert view.materialization_cron == "0 */6 * * *"
    assert view.max_staleness_seconds == 21600 + 86400
    assert plan(TIME_SERIES).availability.error_budget_minutes == 43.2
    assert plan(TIME_SERIES).infrastructure.zones == ("us-west-2a", "us-west-2b")
    assert codes(result(TIME_SERIES)) == []
