# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Recommendation: 50M requests/day at p95 100 ms and 99.9 %, with a cache and an A/B test.

Expected numbers are worked out by hand in the comments from the spec and the calibration
table, never by calling the planner's own formulas.
"""

from __future__ import annotations

import pytest

from tests.unit.plan_support import RECOMMENDATION, codes, plan, result


def test_load_from_daily_volume() -> None:
    # average = 50,000,000 / 86,400 = 578.70 rps; peak = 578.70 × 3 = 1736.11 rps
    cap = plan(RECOMMENDATION).serving.capacity
    assert cap is not None
    assert cap.average_rps == pytest.approx(578.704, abs=1e-3)
    assert cap.peak_rps == pytest.approx(1736.11, abs=1e-2)


def test_cache_lowers_model_load_but_not_service_time() -> None:
    # S of a miss = server 1.0 + cache 0.5 + features 1.5 + two_tower (pytorch medium) 5.0
    #   + ranker (lightgbm small) 0.5 = 8.5 ms
    # replica time: 1/4000 + 1/20000 + 0.65 × (2/10000 + 1/1200 + 1/15000)
    #   = 0.0003 + 0.65 × 0.0011 = 0.001015 s → 985.2 rps per replica
    cap = plan(RECOMMENDATION).serving.capacity
    assert cap is not None
    assert cap.service_time_ms == 8.5
    assert cap.cache_hit_ratio == 0.35
    assert cap.per_replica_rps == pytest.approx(985.22, abs=0.01)


def test_replicas_zones_and_hpa() -> None:
    # ρ = min(0.7, 1 − 2.9957 × 8.5 / 100 = 0.7454) = 0.7
    # N = ceil(1736.11 / (985.2 × 0.7)) = ceil(2.517) = 3
    # 2 zones, one may fail: 3 per zone → 6; HPA target 0.7 × 3 / 6 = 0.35
    # floor ceil(578.7 / (985.2 × 0.35)) = ceil(1.68) = 2; ceiling 6 × 1.25 = 7.5 → 8
    serving = plan(RECOMMENDATION).serving
    cap, hpa = serving.capacity, serving.hpa
    assert cap is not None and hpa is not None
    assert cap.utilisation == 0.7
    assert cap.replicas_needed == 3
    assert (cap.zones, cap.replicas_per_zone, cap.replicas) == (2, 3, 6)
    assert (hpa.min_replicas, hpa.max_replicas, hpa.target_cpu_percent) == (2, 8, 35)


def test_availability_budget_and_zone_names() -> None:
    # 99.9 % → 2 zones; (1 − 0.999) × 43,200 min = 43.2 min per 30 days
    availability = plan(RECOMMENDATION).availability
    assert availability.zones == 2
    assert availability.error_budget_minutes == 43.2
    assert availability.meets_target
    assert not availability.at_regional_sla
    assert plan(RECOMMENDATION).infrastructure.zones == ("us-central1-a", "us-central1-b")
    assert codes(result(RECOMMENDATION)) == []


def test_batching_window_and_size() -> None:
    # the server stage (1 ms) queues: M/M/1 p95 at ρ = 0.7 is 2.9957 × 1 / 0.3 = 9.986 ms
    # → window floor(100 − 9.986) = 90 ms; the batched call holds the rest of the path:
    # one row = cache 0.5 + features 1.5 + 5.0 + 0.5 = 7.5 ms, each further row 4.6 ms on
    # one worker; fits 1 + (90/2 − 7.5) / 4.6 = 9.15 → 8
    batching = plan(RECOMMENDATION).serving.batching
    assert (batching.max_latency_ms, batching.max_batch_size) == (90, 8)


def test_cache_size() -> None:
    # each miss stores an answer for 10 min: ceil(1736.11 × 0.65 × 600) = 677,084 entries
    # entry = key (user_id 40 B + surface 16 B) + ranked list 1024 B + 64 B = 1144 B
    # 677,084 × 1144 B = 774.58 MB
    cache = plan(RECOMMENDATION).serving.cache
    assert cache is not None
    assert cache.max_entries == 677084
    assert cache.entry_bytes == 1144
    assert cache.memory_mb == pytest.approx(774.584, abs=1e-3)
    assert (cache.ttl_seconds, cache.backend) == (600, "redis")


def test_online_store_holds_features_and_cache() -> None:
    # user 10M × (48 + 64 + 4 × 24) = 2.08 GB; item 1M × (48 + 64 + 3 × 24) = 0.184 GB
    # (2.264 + 0.7746) GB × 1.3 / 0.75 = 5.27 → 5.3 GB → redis-standard-small (6.5 GB)
    store = plan(RECOMMENDATION).features.online_store
    assert store.data_bytes == 2_264_000_000
    assert store.memory_gb == 5.3
    assert store.node_type == "redis-standard-small"
    assert store.service == "memorystore-redis-cluster"


def test_experiment_runs_a_week() -> None:
    # p1 = 0.05, relative effect 0.02: δ = 0.05 × 0.02 = 0.001, p2 = 0.051
    # variance 0.05 × 0.95 + 0.051 × 0.949 = 0.0475 + 0.048399 = 0.095899
    # n = 7.848879 × 0.095899 / 0.000001 = 752,700 per arm
    # each arm: 4,000,000 × 20 % × 50 % = 400,000 units/day → 1.88 days → 7 days
    # no label delay on interactions → read-out on day 7 (max 28)
    exp = plan(RECOMMENDATION).serving.experiments[0]
    assert exp.name == "ranker_v2"
    assert (exp.metric_kind, exp.effect_kind, exp.effect) == ("rate", "relative", 0.001)
    assert exp.treatment == 0.051
    assert exp.sample_size_per_arm == 752700
    assert exp.days_needed == pytest.approx(1.8818, abs=1e-4)
    assert exp.duration_days == 7
    assert exp.readout_days == 7
    assert exp.fits
    assert [(v.name, v.stage, v.split_percent) for v in exp.variants] == [
        ("control", "production", 50),
        ("treatment", "staging", 50),
    ]


def test_gates_ttls_and_training() -> None:
    ranker = plan(RECOMMENDATION).model("ranker")
    assert [(g.metric, g.min, g.origin) for g in ranker.gates] == [
        ("ndcg_at_10", 0.3, "model+guardrail")
    ]
    # ndcg@10 measures a ranking: the retrieval model keeps only its recall gate
    two_tower = plan(RECOMMENDATION).model("two_tower")
    assert [g.metric for g in two_tower.gates] == ["recall_at_100"]
    views = {v.name: v for v in plan(RECOMMENDATION).features.views}
    # batch view with a 1-day TTL: 6 h × 4 ≤ 24 h, so refresh every 6 hours
    assert views["item_popularity"].materialization_cron == "0 */6 * * *"
    assert views["user_activity"].materialization_cron is None  # stream view
    training = plan(RECOMMENDATION).training
    assert training.cron == "0 3 * * *"
    assert {m.name: m.runs_per_month for m in training.models} == {"two_tower": 30, "ranker": 30}
