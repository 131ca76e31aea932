# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Fraud detection: 100K rps at p95 50 ms and 99.99 %, checked against hand computations.

Every expected number below is worked out by hand in the comments from the spec and the
calibration table (4-vCPU replica, 4 workers), not by calling the planner's formulas.
"""

from __future__ import annotations

import pytest

from tests.unit.plan_support import FRAUD, codes, loaded, plan, result

SPEC = "specs/fraud-detection.yaml"


def test_request_path_service_time_and_throughput() -> None:
    # Stages of a request (no cache): server 1.0 ms, one Redis read 1.5 ms (entities user
    # and merchant), xgboost small 0.5, lightgbm small 0.5, sklearn small 1.0, rules 0.1.
    # S = 1.0 + 1.5 + 0.5 + 0.5 + 1.0 + 0.1 = 4.6 ms
    # Replica time per request, seconds:
    #   server 1/4000 = 0.00025, features 2 entities / (2500 × 4) = 0.0002,
    #   xgb 1/15000 = 0.0000667, lgbm 0.0000667, anomaly 1/10000 = 0.0001,
    #   rules 1/(12500 × 4) = 0.00002  → Σ = 0.00070333 s → 1421.8 rps per replica
    cap = plan(FRAUD).serving.capacity
    assert cap is not None
    assert cap.service_time_ms == 4.6
    assert cap.per_replica_rps == pytest.approx(1421.8, abs=0.05)
    assert [s.name for s in plan(FRAUD).serving.stages] == [
        "server",
        "features",
        "model:fraud_xgb",
        "model:fraud_lgbm",
        "model:txn_anomaly",
        "rules",
    ]


def test_replicas_by_littles_law_with_zone_headroom() -> None:
    # ρ = min(0.7, 1 − ln 20 × 4.6 / 50) = min(0.7, 1 − 2.9957 × 0.092 = 0.7244) = 0.7
    # N = ceil(100000 / (1421.8 × 0.7)) = ceil(100000 / 995.26) = ceil(100.48) = 101
    # 3 zones, one may fail: ceil(101 / 2) = 51 per zone, + 1 spare at 99.99 % = 52
    # replicas = 52 × 3 = 156; HPA target = 0.7 × 101 / 156 = 0.4532 → 45 %
    cap = plan(FRAUD).serving.capacity
    assert cap is not None
    assert cap.utilisation_raw == pytest.approx(0.7244, abs=1e-4)
    assert cap.utilisation == 0.7
    assert cap.replicas_needed == 101
    assert cap.replicas_per_zone == 52
    assert cap.replicas == 156
    assert cap.scaling_utilisation == pytest.approx(0.4532, abs=1e-4)
    # Little's law in flight across the fleet: 100000 × 0.0046 s = 460 requests
    assert cap.in_flight == 460


def test_hpa_bounds_behavior_and_pdb() -> None:
    # average = 3,000,000,000 / 86400 = 34722.2 rps
    # floor: ceil(34722.2 / (1421.8 × 0.4532)) = ceil(53.88) = 54 → multiple of 3 → 54
    # ceiling: 156 × 1.25 = 195 → multiple of 3 → 195
    serving = plan(FRAUD).serving
    assert serving.hpa is not None and serving.pdb is not None
    assert serving.hpa.min_replicas == 54
    assert serving.hpa.max_replicas == 195
    assert serving.hpa.target_cpu_percent == 45
    up, down = serving.hpa.behavior.scale_up, serving.hpa.behavior.scale_down
    assert up.stabilization_window_seconds == 0
    assert [(p.type, p.value, p.period_seconds) for p in up.policies] == [
        ("Percent", 100, 15),
        ("Pods", 6, 15),  # 2 pods per zone × 3 zones
    ]
    assert down.stabilization_window_seconds == 300
    assert [(p.type, p.value) for p in down.policies] == [("Percent", 10)]
    assert serving.pdb.max_unavailable == 1


def test_replica_limits_and_timeout() -> None:
    # max in flight per replica before a request waits past p95: ceil(1421.8 × 0.05) = 72
    # expected in flight at ρ: 1421.8 × 0.7 × 0.0046 / 0.3 = 15.26 → 16
    # timeout 4 × 50 ms = 200 ms; memory (1024 + 4 workers × 3 models × 20 MB) × 1.25
    #   = 1580 MB → 2 GiB
    replica = plan(FRAUD).serving.replica
    assert replica.max_concurrency == 72
    assert replica.concurrency == 16
    assert replica.timeout_ms == 200
    assert replica.memory_gib == 2
    assert (replica.cpu, replica.workers, replica.gpu) == (4, 4, 0)


def test_batching_from_the_latency_budget() -> None:
    # unbatched stages: server 1.0 + features 1.5 + rules 0.1 = 2.6 ms
    # window = floor((50 − 2.6) / 2) = floor(23.7) = 23 ms (not BentoML's 60 s default)
    # batched models: S = 0.5 + 0.5 + 1.0 = 2 ms; rps = 1 / (1/15000 + 1/15000 + 1/10000)
    #   = 4285.7; fits 1 + (23/2 − 2) × 4.2857 per ms = 41.7 → power of two 32
    batching = plan(FRAUD).serving.batching
    assert batching.max_latency_ms == 23
    assert batching.max_batch_size == 32
    assert batching.batched_models == ("fraud_xgb", "fraud_lgbm", "txn_anomaly")


def test_availability_three_zones_and_error_budget() -> None:
    # 99.99 % → at least 3 zones; budget (1 − 0.9999) × 30 × 24 × 60 = 4.32 min
    # burn-rate thresholds: 14.4 × 0.0001 = 0.00144, 6 × 0.0001 = 0.0006, 1 × 0.0001
    availability = plan(FRAUD).availability
    assert availability.zones == 3
    assert availability.error_budget_minutes == 4.32
    assert [
        (a.severity, a.burn_rate, a.long_window, a.short_window, a.error_rate_threshold)
        for a in availability.burn_rate_alerts
    ] == [
        ("page", 14.4, "1h", "5m", 0.00144),
        ("page", 6.0, "6h", "30m", 0.0006),
        ("ticket", 1.0, "3d", "6h", 0.0001),
    ]
    # 2 %, 5 % and 10 % of the 30-day budget: 14.4 × 1/720, 6 × 6/720, 1 × 72/720
    assert [a.budget_consumed_percent for a in availability.burn_rate_alerts] == [2, 5, 10]
    assert plan(FRAUD).infrastructure.zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def test_composed_availability_and_regional_sla_warning() -> None:
    # Series: load balancer 0.9999 × service (≈ 1) × ElastiCache Multi-AZ 0.9999 = 0.99980
    availability = plan(FRAUD).availability
    assert [c.name for c in availability.components] == [
        "load_balancer",
        "service",
        "online_store",
    ]
    assert availability.composed_percent == pytest.approx(99.98, abs=1e-3)
    assert not availability.meets_target
    assert availability.regional_sla_percent == 99.99
    assert availability.at_regional_sla
    assert codes(result(FRAUD)) == ["W503"]
    warning = result(FRAUD).diagnostics[0]
    assert warning.span is not None and warning.span.line == 12


def test_gates_merge_the_false_positive_guardrail() -> None:
    # The guardrail false_positive_rate ≤ 0.01 equals both classifiers' own gates; the
    # anomaly model has no labels, so it cannot be measured on it and gets no gate.
    xgb = plan(FRAUD).model("fraud_xgb")
    fpr = next(g for g in xgb.gates if g.metric == "false_positive_rate")
    assert (fpr.max, fpr.at_recall, fpr.origin) == (0.01, 0.8, "model+guardrail")
    assert plan(FRAUD).model("txn_anomaly").gates == ()


def test_continuous_training_checks_triggers_every_quarter_hour() -> None:
    # new_labels: 100,000 rows at 3,000,000,000 rows/day → every 100000/3e9 × 24 h = 0.0008 h,
    # so it would fire at every 15-minute check (2880 a month), but a retrain waits for the
    # previous one's canary rollout, 4 steps × 30 min = 120 min (training one shard of a
    # small xgboost takes 0.25 h = 15 min): 30 × 24 × 60 / 120 = 360 runs a month.
    training = plan(FRAUD).training
    assert training.continuous
    assert training.cron == "*/15 * * * *"
    assert training.trigger_check_cron == "*/15 * * * *"
    by_kind = {t.kind: t for t in training.triggers}
    assert by_kind["drift"].threshold == 0.2
    assert by_kind["new_labels"].expected_interval_hours == 0.0008
    runs = {m.name: m.runs_per_month for m in training.models}
    # the anomaly model is unsupervised: label arrivals never retrain it
    assert runs == {"fraud_xgb": 360, "fraud_lgbm": 360, "txn_anomaly": 30}
    assert training.rollout.total_minutes == 120  # 4 canary steps × 30 min


def test_experiment_sample_size_and_duration() -> None:
    # p1 = 0.001, p2 = 0.001 × 1.1 = 0.0011, δ = 0.0001
    # (1.959964 + 0.841621)² = 2.801585² = 7.848879
    # p1(1−p1) + p2(1−p2) = 0.000999 + 0.00109879 = 0.00209779
    # n = 7.848879 × 0.00209779 / 0.00000001 = 1,646,531 per arm
    # treatment gets 10 % of 20M units a day = 2M/day → 0.82 days → one week = 7 days
    # labels arrive 30 days later → read-out on day 37, within the 60-day maximum
    exp = plan(FRAUD).serving.experiments[0]
    assert exp.sample_size_per_arm == 1646531
    assert exp.limiting_arm == "treatment"
    assert exp.days_needed == pytest.approx(0.8233, abs=1e-4)
    assert exp.duration_days == 7
    assert exp.readout_days == 37
    assert exp.fits
    assert exp.salt == "lgbm_heavier"


def test_rules_keep_order_text_and_references() -> None:
    decision = plan(FRAUD).serving.decision
    assert decision is not None
    assert [r.name for r in decision.rules] == [
        "sanctioned_country",
        "large_new_user",
        "velocity_spike",
    ]
    large = decision.rules[1]
    assert large.when == "amount_usd > 5000 and user_velocity.txn_count_1h == 0"
    assert large.references == ("amount_usd", "user_velocity.txn_count_1h")
    assert decision.ensemble == {"fraud_lgbm": 0.4, "fraud_xgb": 0.6}


def test_online_store_memory_and_nodes() -> None:
    # user: 50M keys × (48 + 64 + (3 features + 1 timestamp) × 24) = 50M × 208 = 10.4 GB
    # merchant: 2M × (48 + 64 + 2 × 24) = 2M × 160 = 0.32 GB → 10.72 GB of data
    # × 1.3 fragmentation / 0.75 fill = 18.58 → 18.6 GB → cache.r7g.xlarge (28.26 GB),
    # one replica in each of the 2 other zones
    store = plan(FRAUD).features.online_store
    assert store.data_bytes == 10_720_000_000
    assert store.memory_gb == 18.6
    assert (store.node_type, store.shards, store.replicas_per_shard) == ("cache.r7g.xlarge", 1, 2)
    ttl = {v.name: v.ttl_seconds for v in plan(FRAUD).features.views}
    assert ttl == {"user_velocity": 86400, "merchant_risk": 604800}


def test_node_pools_and_cost_within_budget() -> None:
    # c7i.4xlarge: (16 − 1) vCPU / 4 = 3 pods per node (memory 30 GiB / 2 GiB fits 15)
    # floor 54 replicas = 18 per zone = 6 nodes per zone → 18 nodes; 195 → 65 per zone → 22
    pools = {p.name: p for p in plan(FRAUD).compute.pools}
    serving = pools["serving"]
    assert (serving.instance_type, serving.pods_per_node) == ("c7i.4xlarge", 3)
    assert (serving.min_nodes, serving.max_nodes) == (18, 66)
    cost = plan(FRAUD).cost
    items = {i.component: i.monthly_usd for i in cost.items}
    # 18 nodes × $0.714 × 730 h = $9,382.0
    assert items["serving_nodes"] == pytest.approx(9381.96, abs=0.01)
    assert cost.price_table_date == "2026-11"
    assert cost.budget_usd_month == 60000
    assert not cost.over_budget
    assert 5000 < cost.total_usd_month < 60000


def test_decisions_point_back_into_the_spec() -> None:
    by_name = {d.name: d for d in plan(FRAUD).decisions}
    assert by_name["serving.utilisation"].sources == ("slo.latency_p95_ms",)
    assert "slo.availability" in by_name["availability.zones"].sources
    locate = loaded(FRAUD).source_map.locate
    # latency_p95_ms is written on line 11 of the fraud spec, availability on line 12
    assert locate("slo.latency_p95_ms") == f"{SPEC}:11"
    assert locate("slo.availability") == f"{SPEC}:12"
    assert by_name["serving.replicas_needed"].computed == "ceil(100000 / (1422 × 0.7)) = 101"
    assert by_name["availability.error_budget_minutes"].computed == ("(1 − 0.9999) × 43200 = 4.32")


def test_business_metrics_and_guardrails_reach_the_plan() -> None:
    business = plan(FRAUD).business
    assert [(m.name, m.direction) for m in business.metrics] == [
        ("fraud_loss_usd", "decrease"),
        ("approval_rate", "increase"),
    ]
    guardrail = business.guardrails[0]
    assert (guardrail.metric, guardrail.max) == ("false_positive_rate", 0.01)
    assert guardrail.gated_models == ("fraud_xgb", "fraud_lgbm")
    assert plan(FRAUD).serving.experiments[0].direction == "decrease"
