# Hand computations are written in mathematical notation (×, −) on purpose.
# ruff: noqa: RUF001, RUF003
"""Cost, zones, online stores and node types, checked against hand computations.

The ad click-through spec (tests/data/ad-click-through.yaml: 500,000 rps on GCP with a
Bigtable store) is at a scale no reference spec reaches; the fraud spec covers AWS, a
stated zone count and a region priced above the reference one.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsgen.plan import PlanResult, build_plan, instances, prices, traffic
from mlopsgen.spec.loader import load_spec, load_spec_bytes
from tests.conftest import REPO
from tests.unit.plan_support import FRAUD, RECOMMENDATION, VISION, codes, plan, variant

AD = "tests/data/ad-click-through.yaml"


@functools.cache
def ad() -> PlanResult:
    return build_plan(load_spec_bytes((REPO / AD).read_bytes(), AD))


def decision(outcome: PlanResult, name: str) -> str:
    return next(d.computed for d in outcome.plan.decisions if d.name == name)


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 1e6), st.floats(1, 120))
def test_profile_peaks_at_the_peak_and_averages_the_average(average: float, ratio: float) -> None:
    peak = average * ratio
    day = traffic.profile(peak, average)
    assert len(day.rates) == traffic.STEPS
    assert max(day.rates) == pytest.approx(peak, rel=1e-9)
    assert min(day.rates) >= 0
    if ratio < traffic.STEPS:
        assert day.mean == pytest.approx(average, rel=1e-6)


def test_profile_is_a_sine_wave_up_to_twice_the_average_and_flat_without_a_peak() -> None:
    # ratio 1.5: k = 1, A = (150 − 100) / (1 − 0.5) = 100, trough = 150 − 100 = 50
    day = traffic.profile(150, 100)
    assert (day.exponent, day.trough) == (1.0, pytest.approx(50))
    assert traffic.profile(80, 100).rates == (100.0,) * traffic.STEPS


def test_ad_spec_picks_the_cheapest_zone_count_and_shows_the_alternatives() -> None:
    # the server stage (1 ms) queues before a floor(30 − ln(20) × 1 / 0.3) = 20 ms window:
    # ρ = min(0.7, 1 − ln(20) × 1 / (30 − 20)) = 0.7
    # N = ceil(500,000 / (1935.4 × 0.7)) = 370; headroom N·z/(z − 1): 2 zones → 2 × 370 = 740,
    # 3 → 3 × ceil(370 / 2) = 555, 4 (us-central1 has a, b, c, f) → 4 × ceil(370 / 3) = 496
    outcome = ad()
    cap = outcome.plan.serving.capacity
    assert cap is not None
    assert cap.replicas_needed == 370
    assert (outcome.plan.availability.zones, cap.replicas) == (4, 496)
    computed = decision(outcome, "availability.zones").splitlines()
    assert computed[0] == "zones_for(99.95) = 2"
    assert computed[1].startswith("2 zones → 740 replicas")
    assert computed[2].startswith("3 zones → 555 replicas")
    assert computed[3].startswith("4 zones → 496 replicas")
    assert computed[-1] == "cheapest reaching 99.95 → 4"


def test_stated_zones_are_kept() -> None:
    # fraud states zones: 3 at 99.99 %: max(zones_for(99.99) = 3, 3) = 3, nothing else tried
    assert plan(FRAUD).availability.zones == 3
    assert decision(variant(FRAUD, []), "availability.zones").startswith("max(zones_for(99.99)")
    # the same spec without `zones:` chooses among 3 (eu-west-1 has three): also 3
    assert variant(FRAUD, [(("infrastructure", "zones"), None)]).plan.availability.zones == 3


def test_bigtable_is_sized_from_reads_and_writes_priced_and_under_its_own_sla() -> None:
    # reads: 500,000 rps × 2 entities = 1,000,000/s; writes: user_engagement streams
    #   2e10 / 86400 = 231,481.5/s, ad_performance (TTL 1 d → refresh 6 h) 5e6 / 21600 =
    #   231.5/s → 231,713/s
    # nodes per cluster = ceil((1e6 / 17,000 + 231,713 / 14,000) / 0.7) = ceil(107.68) = 108,
    #   two clusters (4 zones: multi-cluster routing) = 216 nodes (figures kept to 6 digits)
    # 216 × $0.65 × 730 = $102,492 + 92.8 GB × 2 × $0.17 = $31.55 → $102,523.6
    store = ad().plan.features.online_store
    assert (store.kind, store.service) == ("bigtable", "bigtable")
    assert store.reads_per_second == 1_000_000
    assert store.writes_per_second == pytest.approx(231713, abs=1)
    assert (store.nodes, store.clusters) == (216, 2)
    assert store.monthly_usd == pytest.approx(102523.6, abs=0.5)
    assert store.sla_percent == 99.99
    parts = {c.name: c for c in ad().plan.availability.components}
    assert parts["online_store"].availability == 0.9999
    assert "bigtable multi-cluster routing" in parts["online_store"].basis
    items = {i.component: i.monthly_usd for i in ad().plan.cost.items}
    assert items["online_store"] == pytest.approx(102523.6, abs=0.5)


def test_single_zone_bigtable_is_one_cluster_at_the_single_cluster_sla() -> None:
    # 99.5 %: one zone is cheapest; reads 5208/s, writes 5804/s →
    #   ceil((5208 / 17,000 + 5804 / 14,000) / 0.7) = ceil(1.03) = 2 nodes, SLA 99.9 %
    outcome = variant(
        RECOMMENDATION,
        [(("features", "online_store"), "bigtable"), (("slo", "availability"), 99.5)],
    )
    store = outcome.plan.features.online_store
    assert outcome.plan.availability.zones == 1
    assert (store.nodes, store.clusters, store.sla_percent) == (2, 1, 99.9)


def test_dynamodb_takes_the_cheaper_capacity_mode() -> None:
    # fraud: 200,000 reads/s × 0.5 RRU = 100,000 RRU/s at peak, 34,745 WRU/s (items ≤ 1 KB)
    # on-demand: reads at the average (34,722 / 100,000 of peak): 100,000 × 0.34722 × 2.592e6
    #   × $0.125 / 1e6 = $11,250 + writes 34,745 × 2.592e6 × $0.625 / 1e6 = $56,288 → $67,538
    # provisioned: (100,000 × $0.00013 + 34,745 × $0.00065) / 0.7 × 730 = $37,110: cheaper
    store = variant(FRAUD, [(("features", "online_store"), "dynamodb")]).plan.features.online_store
    assert (store.service, store.capacity_mode, store.sla_percent) == (
        "dynamodb",
        "provisioned",
        99.99,
    )
    # + 10.72 GB × $0.25 = $2.68
    assert store.monthly_usd == pytest.approx(37110 + 2.68, abs=1)


def test_memorystore_and_elasticache_carry_their_own_slas() -> None:
    assert plan(RECOMMENDATION).features.online_store.service == "memorystore-redis-cluster"
    assert plan(RECOMMENDATION).features.online_store.sla_percent == 99.99
    single = variant(RECOMMENDATION, [(("slo", "availability"), 99.5)]).plan.features
    assert single.online_store.sla_percent == 99.9


def test_serving_cost_reports_floor_expected_and_peak_and_warns_at_peak() -> None:
    # ad: n2-highcpu-32 holds (32 − 1) / 4 = 7 pods; floor 228 replicas = 57 a zone → 9 nodes
    #   a zone → 36; peak 496 = 124 a zone → 18 → 72; 36 × $1.1472 × 730 = $30,148.4
    outcome = ad()
    serving = outcome.plan.cost.serving
    assert serving is not None
    assert (serving.floor_nodes, serving.peak_nodes) == (36, 72)
    assert serving.floor_usd_month == pytest.approx(30148.4, abs=0.1)
    assert serving.floor_nodes < serving.expected_nodes < serving.peak_nodes
    cost = outcome.plan.cost
    assert cost.total_usd_month <= 150000 < cost.peak_usd_month
    assert (cost.over_budget, cost.over_budget_at_peak) == (False, True)
    assert codes(outcome) == ["W512"]


def test_prices_name_the_region_and_its_factor() -> None:
    assert prices.region_prices("aws", "eu-west-1").factor == 1.11
    unknown = prices.region_prices("gcp", "me-central2")
    assert (unknown.factor, unknown.known, unknown.reference) == (1.0, False, "us-central1")
    fraud = decision(variant(FRAUD, []), "cost.prices")
    assert fraud == "eu-west-1 is priced at 1.11 × the us-east-1 list price\ntable of 2026-11"
    # the same fraud plan in us-east-1: every priced item but the control plane × 1 / 1.11
    cheaper = variant(FRAUD, [(("infrastructure", "region"), "us-east-1")]).plan.cost
    ratio = (plan(FRAUD).cost.total_usd_month - 73) / (cheaper.total_usd_month - 73)
    assert ratio == pytest.approx(1.11, rel=1e-3)


def test_gpu_node_is_the_cheapest_that_holds_the_pod() -> None:
    # two 1-GPU replicas on GCP A100: a2-highgpu-1g ($3.67/h) per zone, not an 8-GPU node
    outcome = variant(
        VISION,
        [
            (("infrastructure", "cloud"), "gcp"),
            (("infrastructure", "region"), "us-central1"),
            (("infrastructure", "gpu_class"), "a100"),
        ],
    )
    pools = {p.role: p for p in outcome.plan.compute.pools}
    assert pools["gpu-serving"].instance_type == "a2-highgpu-1g"
    # the train step asks 8 vCPU, 32 GiB and 1 GPU: g4dn.xlarge (3 vCPU, 14 GiB allocatable)
    #   and g4dn.2xlarge (7, 30) cannot hold it; g4dn.12xlarge ($3.912/h) is the cheapest
    assert {p.role: p.instance_type for p in plan(VISION).compute.pools}["gpu-training"] == (
        "g4dn.12xlarge"
    )


def test_an_eight_gpu_pod_goes_on_an_eight_gpu_node_or_is_refused() -> None:
    pod = instances.Pod(cpu=8, memory_gib=64, gpus=8)
    choice = instances.choose("aws", pod, "t4", lambda n: prices.node_hourly("aws", n.name))
    assert choice is not None and choice.node.name == "g4dn.metal"
    assert instances.choose("gcp", pod, "t4", lambda n: 1.0) is None
    # the cheapest, not the least wasteful: one pod of 1 GPU, 4 vCPU on a 4-GPU node wastes
    #   3/4 of it but g4dn.2xlarge (8 vCPU, 1 GPU) at $0.752 is cheaper than g4dn.12xlarge
    small = instances.Pod(cpu=4, memory_gib=8, gpus=1)
    picked = instances.choose("aws", small, "t4", lambda n: prices.node_hourly("aws", n.name))
    assert picked is not None and picked.node.name == "g4dn.2xlarge"


def test_a_gpu_class_sold_eight_to_a_node_is_warned_about() -> None:
    # AWS sells A100s only as p4d.24xlarge (8 GPUs): 2 one-GPU replicas over 2 zones need
    #   a node per zone, 2 × 8 = 16 GPUs for 2: 1 − 2 / 16 = 87.5 % idle,
    #   2 × $21.9576 × 730 = $32,058/month
    outcome = variant(VISION, [(("infrastructure", "gpu_class"), "a100")])
    warning = next(d for d in outcome.diagnostics if d.code == "W513")
    assert warning.message.startswith("87.5 % of the serving GPUs are idle at the floor")
    assert "2 × p4d.24xlarge" in warning.message
    assert "$32058/month" in warning.message
    assert "W513" not in codes(variant(VISION, []))


def test_a_cheaper_zone_count_whose_path_misses_the_target_is_not_chosen() -> None:
    # claims-triage at 99.5 %: zones_for(99.5) = 1, and one zone is the cheapest, but one pod in
    # one zone composes to 98.79 %; two zones compose above the target and are chosen
    outcome = build_plan(load_spec(REPO / "tests" / "data" / "stacks" / "claims-triage.yaml"))
    assert outcome.plan.availability.zones == 2
    assert outcome.plan.availability.meets_target
    computed = decision(outcome, "availability.zones").splitlines()
    assert "composes to 98.79 %" in computed[1]
    assert computed[-1] == "cheapest reaching 99.5 → 2"
    assert not [d for d in outcome.diagnostics if d.code == "W503"]
