"""Monotonicity the plan must keep, checked on random inputs.

More throughput never gives fewer replicas; a tighter latency SLO never gives a higher
utilisation target; higher availability never lowers the minimum zone count; more series
never give fewer training shards. Each property is checked on the building block and on
whole plans of edited reference specs (through the real loader), so a later change to any
step between the spec and the number cannot break it unnoticed. Finally, any spec that
loads also plans.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlopsgen.diagnostics import SpecError
from mlopsgen.plan import availability, capacity
from tests.unit.plan_support import (
    FRAUD,
    RECOMMENDATION,
    REFERENCE,
    TIME_SERIES,
    VISION,
    variant,
)

UNIT = settings(max_examples=300, deadline=None)
PLAN = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

rates = st.floats(min_value=0.01, max_value=1e8, allow_nan=False, allow_infinity=False)
service_times = st.floats(min_value=0.01, max_value=1000, allow_nan=False)
budgets = st.floats(min_value=1, max_value=600000, allow_nan=False)
targets = st.floats(min_value=90, max_value=99.99, allow_nan=False)
"""Availability targets one region can hold; above its 99.99 % SLA the spec is rejected."""


@UNIT
@given(
    rates, rates, st.floats(min_value=1, max_value=1e6), st.floats(min_value=0.05, max_value=0.7)
)
def test_more_throughput_never_fewer_replicas(a: float, b: float, rps: float, rho: float) -> None:
    low, high = sorted((a, b))
    assert capacity.replicas_needed(low, rps, rho) <= capacity.replicas_needed(high, rps, rho)


@UNIT
@given(service_times, budgets, budgets)
def test_tighter_slo_never_higher_utilisation(service: float, a: float, b: float) -> None:
    tight, loose = sorted((a, b))
    tight_rho = capacity.target_utilisation(service, tight)
    assert tight_rho <= capacity.target_utilisation(service, loose)
    assert capacity.RHO_FLOOR <= tight_rho <= capacity.RHO_CAP


@UNIT
@given(targets, targets)
def test_higher_availability_never_fewer_zones(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert availability.zones_for_target(low) <= availability.zones_for_target(high)
    assert availability.error_budget_minutes(low) >= availability.error_budget_minutes(high)


@UNIT
@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(1, 7), st.integers(0, 1))
def test_zone_spread_keeps_n_after_losing_a_zone(a: int, b: int, zones: int, spare: int) -> None:
    low, high = sorted((a, b))
    per_zone = capacity.replicas_per_zone(low, zones, spare)
    assert per_zone <= capacity.replicas_per_zone(high, zones, spare)
    survivors = zones - 1 if zones > 1 else 1
    assert per_zone * survivors >= low


@PLAN
@given(st.sampled_from(REFERENCE), st.integers(1, 2_000_000), st.integers(1, 2_000_000))
def test_plan_more_peak_never_fewer_replicas(stem: str, a: int, b: int) -> None:
    low, high = sorted((a, b))
    plans = [variant(stem, [(("slo", "throughput", "peak_rps"), r)]).plan for r in (low, high)]
    caps = [p.serving.capacity for p in plans]
    hpas = [p.serving.hpa for p in plans]
    assert caps[0] is not None and caps[1] is not None
    assert hpas[0] is not None and hpas[1] is not None
    assert caps[0].replicas_needed <= caps[1].replicas_needed
    if plans[0].availability.zones == plans[1].availability.zones:
        assert caps[0].replicas <= caps[1].replicas
        assert hpas[0].max_replicas <= hpas[1].max_replicas
    else:
        # more load may make one more zone cheaper: each zone then needs less spare (2 zones
        # carry twice the load, 3 zones 1.5 times), so the fleet can shrink; the bill cannot
        assert plans[0].availability.zones < plans[1].availability.zones
        assert plans[0].cost.total_usd_month <= plans[1].cost.total_usd_month * (1 + 1e-9)


@PLAN
@given(st.integers(1, 2000), st.integers(1, 2000))
def test_plan_tighter_slo_never_higher_utilisation(a: int, b: int) -> None:
    tight, loose = sorted((a, b))
    plans = [variant(FRAUD, [(("slo", "latency_p95_ms"), p)]).plan for p in (tight, loose)]
    caps = [p.serving.capacity for p in plans]
    assert caps[0] is not None and caps[1] is not None
    if caps[0].latency_slo_met:  # an unmet SLO is sized for throughput at the cap
        assert caps[1].latency_slo_met
        assert caps[0].utilisation <= caps[1].utilisation


@PLAN
@given(
    st.sampled_from(REFERENCE),
    st.integers(1, 3000),
    st.one_of(st.none(), st.floats(min_value=0.5, max_value=500, allow_nan=False)),
)
def test_plan_service_queueing_and_window_fit_the_p95_when_met(
    stem: str, p95: int, window: float | None
) -> None:
    edits: list[tuple[tuple[str | int, ...], object]] = [(("slo", "latency_p95_ms"), p95)]
    if window is not None:
        edits.append((("serving", "batching", "max_latency_ms"), window))
    try:
        outcome = variant(stem, edits)
    except SpecError:
        return  # batch-only reference specs take no latency SLO
    cap = outcome.plan.serving.capacity
    if cap is None:
        return
    unmet = {"E501", "E502"} & {d.code for d in outcome.diagnostics}
    assert cap.latency_slo_met == (not unmet)
    if cap.latency_slo_met:
        slack = p95 * 1e-5  # stored figures keep six significant digits
        # one request alone fits, and so does what queues plus the batched call's deadline
        assert cap.service_time_ms <= p95 + slack
        assert cap.latency_total_ms <= p95 + slack
        if not outcome.plan.serving.batching.enabled:
            total = cap.service_time_ms + cap.queueing_ms + cap.batching_window_ms
            assert total <= p95 + slack


@PLAN
@given(targets, targets)
def test_plan_higher_availability_never_fewer_zones(a: float, b: float) -> None:
    # the target's minimum never falls; the zones chosen (the cheapest count from that
    # minimum up) may be more than a higher target's, since more zones can cost less
    low, high = sorted((a, b))
    plans = [variant(RECOMMENDATION, [(("slo", "availability"), t)]).plan for t in (low, high)]
    assert plans[0].availability.zones_for_target <= plans[1].availability.zones_for_target
    for chosen in plans:
        assert chosen.availability.zones >= chosen.availability.zones_for_target
        assert len(chosen.infrastructure.zones) == chosen.availability.zones


@PLAN
@given(st.integers(1, 10**7), st.integers(1, 10**7))
def test_plan_more_series_never_fewer_shards(a: int, b: int) -> None:
    low, high = sorted((a, b))
    edit = ("features", "entities", 0, "cardinality")
    plans = [variant(TIME_SERIES, [(edit, n)]).plan for n in (low, high)]
    shards = [p.model("demand_forecast").partition for p in plans]
    assert shards[0] is not None and shards[1] is not None
    assert shards[0].shards <= shards[1].shards
    assert shards[0].waves <= shards[1].waves


EDITS = {
    ("slo", "latency_p95_ms"): st.integers(1, 5000),
    ("slo", "availability"): targets,
    ("slo", "throughput", "peak_rps"): st.integers(1, 10**7),
    ("training", "parallelism", "max_workers"): st.integers(1, 500),
    ("infrastructure", "budget_usd_month"): st.integers(1, 10**6),
    ("training", "cadence"): st.sampled_from(["continuous", "hourly", "daily", "weekly"]),
    ("features", "entities", 0, "cardinality"): st.integers(1, 10**8),
}


@PLAN
@given(
    st.sampled_from(REFERENCE),
    st.dictionaries(st.sampled_from(sorted(EDITS)), st.none(), max_size=4).flatmap(
        lambda keys: st.fixed_dictionaries({k: EDITS[k] for k in keys})
    ),
)
def test_any_spec_that_loads_also_plans(
    stem: str, edits: dict[tuple[str | int, ...], object]
) -> None:
    try:
        outcome = variant(stem, list(edits.items()))
    except SpecError:
        return  # the loader's checks rejected the combination: nothing to plan
    plan = outcome.plan
    assert plan.plan_version == 1
    assert plan.availability.zones >= 1
    cap = plan.serving.capacity
    if cap is not None:
        assert 1 <= cap.replicas_needed <= cap.replicas
        assert 0 < cap.utilisation <= 0.7
    assert math.isfinite(plan.cost.total_usd_month)
    assert [d.name for d in plan.decisions] == sorted(d.name for d in plan.decisions)


def _training_bill(stem: str, rows_per_day: int, lookback: int) -> tuple[float, float, float]:
    """(monthly training cost, Σ vCPU-hours per run, Σ memory GiB per job) of a variant."""
    edits: list[tuple[tuple[str | int, ...], object]] = [
        (("data", "sources", 0, "rows_per_day"), rows_per_day),
        (("training", "lookback_days"), lookback),
        (("training", "max_rows"), None),
    ]
    plan = variant(stem, edits).plan
    cost = next(i.monthly_usd for i in plan.cost.items if i.component == "training")
    jobs = [j for j in plan.training.models if j.trainable]
    return (
        cost,
        sum(j.cpu * j.hours_per_shard * j.shards for j in jobs),
        sum(j.memory_gib for j in jobs),
    )


@PLAN
@given(
    st.integers(1_000, 10**10),
    st.integers(1_000, 10**10),
    st.integers(1, 3650),
    st.integers(1, 3650),
)
def test_plan_more_data_never_cheaper_training(a: int, b: int, c: int, d: int) -> None:
    # the recommendation spec retrains daily (a drift trigger only), so runs stay fixed and
    # the month's bill follows the jobs; more rows per day and a longer lookback, each alone
    # and both together, never lower the bill, the vCPU-hours of a run or the memory
    low_rows, high_rows = sorted((a, b))
    short, long = sorted((c, d))
    base = _training_bill(RECOMMENDATION, low_rows, short)
    for bigger in ((high_rows, short), (low_rows, long), (high_rows, long)):
        grown = _training_bill(RECOMMENDATION, *bigger)
        assert all(x <= y * (1 + 1e-5) for x, y in zip(base, grown, strict=True))


def test_plan_one_more_vcpu_never_makes_training_cheaper() -> None:
    # the fewest vCPUs that meet the window gave 3 vCPU (12.08 h) at 590357 rows a day and
    # 4 vCPU (9.083 h) at 590568, a 24 % lower bill for more data; a job alone on a node now
    # takes the node's cores, so its hours and the bill follow the data
    low = _training_bill(RECOMMENDATION, 590_357, 627)
    high = _training_bill(RECOMMENDATION, 590_568, 627)
    assert all(x <= y for x, y in zip(low, high, strict=True))


@PLAN
@given(
    st.integers(1_000, 10**9),
    st.integers(1_000, 10**9),
    st.integers(1, 3650),
    st.integers(1, 3650),
)
def test_plan_more_data_never_cheaper_sharded_training(a: int, b: int, c: int, d: int) -> None:
    # the forecasting spec trains 100 shards in waves of concurrent workers sharing nodes:
    # more rows per day or a longer lookback never lower the training bill
    low_rows, high_rows = sorted((a, b))
    short, long = sorted((c, d))
    base = _training_bill(TIME_SERIES, low_rows, short)[0]
    for bigger in ((high_rows, short), (low_rows, long), (high_rows, long)):
        assert base <= _training_bill(TIME_SERIES, *bigger)[0] * (1 + 1e-5)


def _pool_bill(stem: str, rows: int) -> float:
    """Monthly cost of the scale-from-zero pool (training and batch) scoring ``rows`` a run."""
    plan = variant(stem, [(("serving", "batch", "rows_per_run"), rows)]).plan
    assert plan is not None
    return sum(i.monthly_usd for i in plan.cost.items if i.component in ("training", "batch"))


@PLAN
@given(st.integers(1_000, 10**9), st.integers(1_000, 10**9))
def test_plan_more_batch_rows_never_cheaper(a: int, b: int) -> None:
    # the batch job shares the training pool, which bills whole nodes: its workers fill the
    # nodes they hold, so one more row never adds a worker that shortens the run on a node
    # already paid for (the pool's type may change, so the pool's bill is what grows)
    low, high = sorted((a, b))
    for stem in (VISION, TIME_SERIES):
        small, grown = _pool_bill(stem, low), _pool_bill(stem, high)
        assert small <= grown * (1 + 1e-5), (stem, low, high, small, grown)


def test_plan_batch_workers_fill_the_nodes_they_hold() -> None:
    # computer vision scores on 4-GPU nodes: 1 sized worker holds a node, so 4 workers run
    plan = variant(VISION, []).plan
    assert plan is not None and plan.serving.batch is not None
    assert plan.serving.batch.workers == 4
    fill = next(d for d in plan.decisions if d.name == "serving.batch.placement")
    assert fill.value == 4
