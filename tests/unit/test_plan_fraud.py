# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Fraud detection: 100K rps at p95 50 ms and 99.99 %, checked against hand computations.

Every expected number below is worked out by hand in the comments from the spec and the
calibration table (4-vCPU replica, 4 workers), not by calling the planner's formulas.
"""

from __future__ import annotations

import pytest

from tests.unit.plan_support import FRAUD, codes, loaded, plan, result, variant

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
    # the batching window of 4 ms comes out of the p95 first, 46 ms are left:
    # ρ = min(0.7, 1 − ln 20 × 4.6 / 46) = min(0.7, 1 − 2.9957 × 0.1 = 0.7004) = 0.7
    # N = ceil(100000 / (1421.8 × 0.7)) = ceil(100000 / 995.26) = ceil(100.48) = 101
    # 3 zones, one may fail: ceil(101 / 2) = 51 per zone, + 1 spare at 99.99 % = 52
    # replicas = 52 × 3 = 156; HPA target = 0.7 × 101 / 156 = 0.4532 → 45 %
    cap = plan(FRAUD).serving.capacity
    assert cap is not None
    assert cap.utilisation_raw == pytest.approx(0.7004, abs=1e-4)
    assert cap.utilisation == 0.7
    assert cap.replicas_needed == 101
    assert cap.replicas_per_zone == 52
    assert cap.replicas == 156
    assert cap.scaling_utilisation == pytest.approx(0.4532, abs=1e-4)
    # Little's law in flight across the fleet: 100000 × 0.0046 s = 460 requests
    assert cap.in_flight == 460


def test_hpa_bounds_behavior_and_pdb() -> None:
    # average = 3,000,000,000 / 86400 = 34722.2 rps
    # floor: n_avg = ceil(34722.2 / (1421.8 × 0.7)) = ceil(34.89) = 35, spread like the peak:
    #   3 zones × (ceil(35 / (3 − 1)) + 1 spare) = 3 × 19 = 57
    # ceiling: 156 × 1.25 = 195 → multiple of 3 → 195
    serving = plan(FRAUD).serving
    assert serving.hpa is not None and serving.pdb is not None
    assert serving.hpa.min_replicas == 57
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
    # only the server stage (S_front = 1 ms) queues in front of the batched call; at ρ = 0.7
    # its M/M/1 p95 is ln 20 × 1 / 0.3 = 9.986 ms → window floor(50 − 9.986) = 40 ms
    # one-row call: features 1.5 + 0.5 + 0.5 + 1.0 + rules 0.1 = 3.6 ms; each further row
    #   on one of 4 workers: 4 × (1/5000 + 1/15000 + 1/15000 + 1/10000 + 1/50000) s
    #   = 1.8133 ms; fits 1 + (40/2 − 3.6) / 1.8133 = 10.04 → batches of 8
    serving = plan(FRAUD).serving
    batching = serving.batching
    assert batching.max_latency_ms == 40
    assert batching.max_batch_size == 8
    assert batching.batched_models == ("fraud_xgb", "fraud_lgbm", "txn_anomaly")
    # the p95 split: S_front 1 + queueing (9.986 − 1 = 8.986) + window 40 = 49.986 ≤ 50
    cap = serving.capacity
    assert cap is not None and cap.latency_slo_met
    assert (cap.batching_window_ms, cap.queueing_ms) == (40, pytest.approx(8.986, abs=1e-3))
    assert cap.latency_total_ms == pytest.approx(49.986, abs=1e-3)


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
    # previous one's canary rollout, 4 steps × 30 min = 120 min (training fraud_xgb takes
    # 21.7 min, below): 30 × 24 × 60 / 120 = 360 runs a month.
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


def test_training_jobs_sized_from_the_data() -> None:
    # 3e9 rows/day × 180 days = 5.4e11 rows, sampled to max_rows 50,000,000
    # fraud_xgb: 8 inputs → 4e8 cells; window 120 min (the pace of continuous retraining),
    #   half of it 3600 s: sized floor vCPU = clamp(ceil(4e8 / (2e5 × 3600)) = 1, 2, 15) = 2
    #   memory: 4e8 cells × 4 B × 3 copies = 4.47 GiB + 1 GiB → 6 GiB
    # the training pool (c7i.4xlarge, 15 vCPU and 30 GiB allocatable) scales from zero and
    #   bills whole nodes, so each job alone on its node takes the node's 15 vCPU:
    #   fraud_xgb 4e8 / (2e5 × 15) = 133.3 s = 2.222 min + 5 min start-up = 0.1204 h
    # fraud_lgbm: same data at 4e5 → 66.67 s + 5 min = 6.111 min = 0.1019 h
    # txn_anomaly: 4 inputs, sklearn 5e5 → 2e8 / (5e5 × 15) = 26.67 s + 5 min = 0.09074 h;
    #   3.0 GiB → 4
    jobs = {m.name: m for m in plan(FRAUD).training.models}
    xgb = jobs["fraud_xgb"]
    assert (xgb.rows_per_shard, xgb.features, xgb.cpu, xgb.memory_gib) == (50_000_000, 8, 15, 6)
    assert xgb.hours_per_shard == pytest.approx(0.1204, abs=1e-4)
    assert xgb.window_minutes == 120 and xgb.fits_window
    decisions = {d.name: d for d in plan(FRAUD).decisions}
    assert decisions["training.fraud_xgb.job"].value == "2 vCPU, 6 GiB, 21.67 min"
    placement = decisions["training.fraud_xgb.placement"]
    assert placement.value == "15 vCPU × 1 pod per node on 1 node, 7.224 min"
    assert jobs["fraud_lgbm"].hours_per_shard == pytest.approx(0.1019, abs=1e-4)
    anomaly = jobs["txn_anomaly"]
    assert (anomaly.memory_gib, anomaly.hours_per_shard) == (4, pytest.approx(0.09074, abs=1e-5))
    # the train step requests what its pod is given
    train = next(s for s in plan(FRAUD).model("fraud_xgb").steps if s.name == "train")
    assert (train.cpu, train.memory_gib) == (15, 6)
    # the training pool is the cheapest node type for the month's runs: c7i.4xlarge at
    #   $0.714/h × 1.11 (eu-west-1); each run holds one whole node for its one wave:
    #   360 × 0.1204 + 360 × 0.1019 + 30 × 0.09074 = 43.34 + 36.68 + 2.722 = 82.75
    #   node-hours × $0.79254/h = $65.58
    items = {i.component: i.monthly_usd for i in plan(FRAUD).cost.items}
    assert items["training"] == pytest.approx(65.58, abs=0.01)


def test_training_that_cannot_fit_its_window_names_the_rows_that_would() -> None:
    # without sampling, fraud_xgb reads 5.4e11 rows × 8 → 24,006 min against 120 min (W521);
    # the hint's max_rows = 2e5 × 15 vCPU × (3600 − 300) s / 8 = 1,237,500,000 rows
    edits = [(("training", "max_rows"), None)]
    outcome = variant(FRAUD, edits)
    warnings = [d for d in outcome.diagnostics if d.code == "W521"]
    xgb = next(d for d in warnings if "fraud_xgb" in d.message)
    assert "do not fit the 120 min window" in xgb.message
    assert xgb.hint is not None and "set training.max_rows to 1237500000" in xgb.hint
    # applied, the hint works: no model warns any more
    fixed = variant(FRAUD, [(("training", "max_rows"), 1_237_500_000)])
    assert "W521" not in codes(fixed)
    assert all(m.fits_window for m in fixed.plan.training.models)


def test_experiment_sample_size_and_duration() -> None:
    # fraud_loss_usd is a mean in USD per user: mean 0.5, σ 25, relative effect 0.10
    #   → δ = 0.05 USD; (1.959964 + 0.841621)² = 2.801585² = 7.848879
    # n = 2 × 7.848879 × 25² / 0.05² = 2 × 7.848879 × 625 / 0.0025 = 3,924,439.6 → 3,924,440
    # treatment gets 10 % of 20M users a day = 2M/day → 1.962 days → one week = 7 days
    # labels arrive 30 days later → read-out on day 37, within the 60-day maximum
    # population: min(20M × 60, 50M users) × 10 % = 5M ≥ n, so no W522
    exp = plan(FRAUD).serving.experiments[0]
    assert (exp.metric_kind, exp.effect_kind, exp.effect) == ("mean", "relative", 0.05)
    assert exp.sample_size_per_arm == 3924440
    assert exp.limiting_arm == "treatment"
    assert exp.days_needed == pytest.approx(1.9622, abs=1e-4)
    assert (exp.daily_units, exp.population) == (20_000_000, 50_000_000)
    assert exp.duration_days == 7
    assert exp.readout_days == 37
    assert exp.fits
    assert exp.salt == "lgbm_heavier"


def test_experiment_on_a_rate_with_an_absolute_effect() -> None:
    # the case: 0.02 on a 0.30 baseline read as absolute: p2 = 0.32, δ = 0.02
    # n = 7.848879 × (0.21 + 0.2176) / 0.0004 = 8,390.5 → 8,391 (relative would be 92,086)
    ex = ("serving", "experiments", 0)
    edits = [
        ((*ex, "baseline_mean"), None),
        ((*ex, "baseline_stddev"), None),
        ((*ex, "baseline_rate"), 0.30),
        ((*ex, "minimum_detectable_effect"), {"absolute": 0.02}),
    ]
    assert variant(FRAUD, edits).plan.serving.experiments[0].sample_size_per_arm == 8391
    relative = [*edits[:3], ((*ex, "minimum_detectable_effect"), {"relative": 0.02})]
    assert variant(FRAUD, relative).plan.serving.experiments[0].sample_size_per_arm == 92086


def test_experiment_without_daily_units_counts_users_not_requests() -> None:
    # no daily_units: the user entity's 50M cardinality (every user active daily, an upper
    # bound), never 3e9 requests a day
    outcome = variant(FRAUD, [(("serving", "experiments", 0, "daily_units"), None)])
    exp = outcome.plan.serving.experiments[0]
    assert exp.daily_units == 50_000_000
    assert "cardinality" in exp.daily_units_from


def test_experiment_larger_than_the_population_warns() -> None:
    # σ 250: n = 2 × 7.848879 × 250² / 0.05² = 392,443,950 per arm, but only
    # min(20M × 60, 50M) × 10 % = 5M users can reach the treatment arm in 60 days
    outcome = variant(FRAUD, [(("serving", "experiments", 0, "baseline_stddev"), 250)])
    assert "W522" in codes(outcome)
    warning = next(d for d in outcome.diagnostics if d.code == "W522")
    assert "only 5000000 distinct units in 60 days" in warning.message


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
    # × 1.3 fragmentation / 0.75 fill = 18.58 → 18.6 GB
    # reads at peak: 100,000 rps × 2 entities (user, merchant) = 200,000/s
    # writes: user_velocity is a stream view: 3e9 rows / 86400 = 34,722.2/s; merchant_risk
    #   (TTL 7 d → refresh every 1 d): 2M keys / 86400 = 23.1/s → 34,745.4/s
    # shards = max(ceil(18.6 / 113.6) = 1, ceil(234,745.4 / (100,000 × 0.7)) = 4) = 4
    #   → 18.6 / 4 = 4.65 GB each → cache.r7g.large (14.03 GB), a replica in each of the
    #   2 other zones: 4 × 3 = 12 nodes; ElastiCache Multi-AZ SLA 99.99 %
    store = plan(FRAUD).features.online_store
    assert store.data_bytes == 10_720_000_000
    assert store.memory_gb == 18.6
    assert store.reads_per_second == 200_000
    assert store.writes_per_second == pytest.approx(34745.4, abs=0.1)
    assert (store.node_type, store.shards, store.replicas_per_shard) == ("cache.r7g.large", 4, 2)
    assert (store.nodes, store.sla_percent) == (12, 99.99)
    # 12 × $0.219 × 730 h = $1,918.44 at the us-east-1 list price
    assert store.monthly_usd == pytest.approx(1918.44, abs=0.01)
    ttl = {v.name: v.ttl_seconds for v in plan(FRAUD).features.views}
    assert ttl == {"user_velocity": 86400, "merchant_risk": 604800}


def test_node_pools_and_cost_within_budget() -> None:
    # per replica pod 4 vCPU, 2 GiB. c7i.4xlarge: (16 − 1) / 4 = 3 pods per node at $0.714/h
    #   ($0.238 a pod); c7i.8xlarge: (32 − 1) / 4 = 7 pods at $1.428/h ($0.204 a pod): cheaper
    # floor 57 replicas = 19 per zone = ceil(19 / 7) = 3 nodes per zone → 9 nodes
    # peak 156 = 52 per zone → 8 nodes per zone → 24; ceiling 195 → 65 per zone → 10 → 30
    pools = {p.name: p for p in plan(FRAUD).compute.pools}
    serving = pools["serving"]
    assert (serving.instance_type, serving.pods_per_node) == ("c7i.8xlarge", 7)
    assert (serving.min_nodes, serving.planned_nodes, serving.max_nodes) == (9, 24, 30)
    assert 9 < serving.expected_nodes < 24
    cost = plan(FRAUD).cost
    # eu-west-1 is priced at 1.11 × us-east-1: $1.428 × 1.11 = $1.58508/h
    assert (cost.price_region, cost.region_factor) == ("eu-west-1", 1.11)
    assert cost.serving is not None
    # floor 9 × 1.58508 × 730 = $10,414.0; peak 24 × 1.58508 × 730 = $27,770.6
    assert cost.serving.floor_usd_month == pytest.approx(10414.0, abs=0.1)
    assert cost.serving.peak_usd_month == pytest.approx(27770.6, abs=0.1)
    items = {i.component: i.monthly_usd for i in cost.items}
    expected = serving.expected_nodes * 1.58508 * 730
    assert items["serving_nodes"] == pytest.approx(expected, rel=1e-5)
    assert cost.floor_usd_month < cost.total_usd_month < cost.peak_usd_month
    assert cost.price_table_date == "2026-11"
    assert cost.budget_usd_month == 60000
    assert not cost.over_budget
    assert not cost.over_budget_at_peak
    assert 5000 < cost.total_usd_month < 60000


def test_decisions_point_back_into_the_spec() -> None:
    by_name = {d.name: d for d in plan(FRAUD).decisions}
    assert by_name["serving.utilisation"].sources == ("serving.batching", "slo.latency_p95_ms")
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


def test_an_expected_disagreement_dilutes_the_effect_and_sizes_the_whole_population() -> None:
    # the arms differ on 2 % of requests: the effect over everyone is δ × 0.02, so the whole
    # population needs 3,924,440 / 0.02² = 9,811,100,000 units per arm; treatment's 10 % of
    # 20M users a day = 2M/day → 4,905.55 days → 4,907 in whole weeks, past the 60-day maximum
    outcome = variant(FRAUD, [(("serving", "experiments", 0, "expected_disagreement_percent"), 2)])
    exp = outcome.plan.serving.experiments[0]
    assert exp.expected_disagreement == 0.02
    assert exp.triggered_sample_size_per_arm == 3924440
    assert exp.sample_size_per_arm == 9_811_100_000
    assert exp.duration_days == 4907
    assert not exp.fits
    assert {"W504", "W522"} <= set(codes(outcome))
    decision = next(
        d
        for d in outcome.plan.decisions
        if d.name == "experiments.lgbm_heavier.diluted_sample_size_per_arm"
    )
    assert decision.value == 9_811_100_000
    assert decision.formula.startswith("n_whole = n_triggered / r²")
    assert "serving.experiments[0].expected_disagreement_percent" in decision.sources


def test_without_an_expected_disagreement_the_sample_is_not_diluted() -> None:
    exp = plan(FRAUD).serving.experiments[0]
    assert exp.expected_disagreement is None
    assert exp.triggered_sample_size_per_arm == exp.sample_size_per_arm == 3924440
    names = {d.name for d in plan(FRAUD).decisions}
    assert "experiments.lgbm_heavier.diluted_sample_size_per_arm" not in names
