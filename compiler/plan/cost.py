# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Monthly cost estimate from the offline, dated price table, against the spec's budget.

Prices are the reference regions' on-demand list prices times the plan region's factor
(:mod:`mlopsgen.plan.prices`); the decision ``cost.prices`` names the region, the factor and
the table's date and source. A month is 730 hours. Serving is billed over the day's traffic
profile (the mean fleet the autoscaler keeps); its floor (the quiet-hour fleet all month) and
its peak (the planned peak fleet all month) bound it. The budget is judged on the expected
total; a month at peak over the budget is a warning of its own (W512).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mlopsgen.plan import prices
from mlopsgen.plan.compute import batch_run, training_run
from mlopsgen.plan.instances import Instance, Pod, node_hours
from mlopsgen.plan.ir.data import ModelPlan, OnlineStorePlan, TrainingModelPlan
from mlopsgen.plan.ir.ops import CostItem, CostPlan, NodePool, ServingCost
from mlopsgen.plan.ir.serving import BatchJobPlan, ReplicaPlan
from mlopsgen.plan.prices import PRICE_TABLE_DATE, RegionPrices
from mlopsgen.plan.record import Recorder, clean, count, fmt
from mlopsgen.spec.models.root import Spec

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = 30 * 86400
NAT_GB_PER_MONTH = 100.0
"""Assumed egress through NAT: image pulls, package installs, external APIs."""


@dataclass(frozen=True)
class CostInputs:
    """Everything planned elsewhere that the estimate prices."""

    zones: int
    pools: tuple[NodePool, ...]
    online_store: OnlineStorePlan
    models: tuple[ModelPlan, ...]
    training: tuple[TrainingModelPlan, ...]
    batch: BatchJobPlan | None
    replica: ReplicaPlan
    average_rps: float
    request_bytes: int
    stored_gb: float


def _node_price(provider: str, pool: NodePool | None, region: RegionPrices) -> float:
    if pool is None:
        return 0.0
    return clean(prices.node_hourly(provider, pool.instance_type) * region.factor, 6)


def _pool(inputs: CostInputs, role: str) -> NodePool | None:
    return next((p for p in inputs.pools if p.role == role), None)


def _node_hours(pool: NodePool, pod: Pod, workers: int, hours: float) -> float:
    """Node-hours of the pool's type a job holds (see ``node_hours``)."""
    node = Instance(pool.instance_type, pool.vcpu, pool.memory_gib, pool.gpus, pool.gpu_class)
    return node_hours(node, pod, workers, hours)


def _serving(
    provider: str, inputs: CostInputs, region: RegionPrices
) -> tuple[list[CostItem], ServingCost | None]:
    items, serving = [], None
    for pool in inputs.pools:
        if pool.role not in ("system", "serving", "gpu-serving"):
            continue
        price = _node_price(provider, pool, region)
        nodes = pool.expected_nodes
        items.append(
            CostItem(
                component=f"{pool.name.replace('-', '_')}_nodes",
                monthly_usd=nodes * price * HOURS_PER_MONTH,
                basis=f"{fmt(nodes)} × {pool.instance_type} at ${fmt(price)}/h"
                + (" (mean of the day's fleet)" if pool.role != "system" else ""),
            )
        )
        if pool.role != "system":
            serving = ServingCost(
                floor_nodes=pool.min_nodes,
                expected_nodes=pool.expected_nodes,
                peak_nodes=pool.planned_nodes,
                floor_usd_month=clean(pool.min_nodes * price * HOURS_PER_MONTH, 6),
                expected_usd_month=clean(nodes * price * HOURS_PER_MONTH, 6),
                peak_usd_month=clean(pool.planned_nodes * price * HOURS_PER_MONTH, 6),
            )
    return items, serving


def _items(
    spec: Spec, inputs: CostInputs, region: RegionPrices
) -> tuple[list[CostItem], ServingCost | None]:
    provider = spec.infrastructure.cloud
    factor = region.factor
    control = prices.CONTROL_PLANE_HOURLY[provider]
    items = [
        CostItem(
            component="control_plane",
            monthly_usd=control * HOURS_PER_MONTH,
            basis=f"managed Kubernetes ${control}/h (the same in every region)",
        )
    ]
    serving_items, serving = _serving(provider, inputs, region)
    items += serving_items
    items += [_training(spec, inputs, region), _batch(spec, inputs, region), _store(inputs, factor)]
    items += _network(spec, inputs, factor)
    storage = prices.OBJECT_STORAGE_GB_MONTH[provider] * factor
    items.append(
        CostItem(
            component="object_storage",
            monthly_usd=inputs.stored_gb * storage,
            basis=f"{fmt(inputs.stored_gb)} GB at ${fmt(storage)}/GB-month",
        )
    )
    cleaned = [dataclasses.replace(i, monthly_usd=clean(i.monthly_usd, 6)) for i in items]
    return cleaned, serving


def _training(spec: Spec, inputs: CostInputs, region: RegionPrices) -> CostItem:
    """Each run's whole nodes (its concurrent shards packed on the pool's type) for its waves.

    The pools scale from zero: a run holds ``ceil(workers / pods per node)`` nodes for
    ``waves * hours per shard``, whatever else could have shared them.
    """
    provider = spec.infrastructure.cloud
    cpu_pool, gpu_pool = _pool(inputs, "training"), _pool(inputs, "gpu-training")
    total, hours = 0.0, 0.0
    for train in inputs.training:
        pool = gpu_pool if train.gpu else cpu_pool
        if not train.trainable or pool is None:
            continue
        held = _node_hours(pool, *training_run(train))
        total += held * _node_price(provider, pool, region)
        hours += held
    return CostItem(
        component="training",
        monthly_usd=total,
        basis=f"{fmt(round(hours, 2))} node-hours/month: each run holds ceil(workers / pods "
        "per node) whole nodes for waves × hours per shard",
    )


def _batch(spec: Spec, inputs: CostInputs, region: RegionPrices) -> CostItem:
    batch, run = inputs.batch, batch_run(inputs.batch, inputs.replica)
    if batch is None or batch.expected_minutes is None or run is None:
        return CostItem(component="batch", monthly_usd=0.0, basis="no batch job")
    provider = spec.infrastructure.cloud
    pool = _pool(inputs, "gpu-training" if inputs.replica.gpu else "training")
    if pool is None:
        return CostItem(component="batch", monthly_usd=0.0, basis="no batch pool")
    held = _node_hours(pool, *run)
    return CostItem(
        component="batch",
        monthly_usd=held * _node_price(provider, pool, region),
        basis=f"{count(batch.runs_per_month, 'runs')} × {count(batch.workers, 'workers')} × "
        f"{fmt(batch.expected_minutes)} min on {pool.instance_type}",
    )


def _store(inputs: CostInputs, factor: float) -> CostItem:
    store = inputs.online_store
    return CostItem(
        component="online_store",
        monthly_usd=store.monthly_usd * factor,
        basis=f"{store.service}: {store.cost_basis}" + (f" × {fmt(factor)}" if factor != 1 else ""),
    )


def _network(spec: Spec, inputs: CostInputs, factor: float) -> list[CostItem]:
    provider = spec.infrastructure.cloud
    hourly, per_gb = (clean(p * factor, 6) for p in prices.LOAD_BALANCER[provider])
    gb = inputs.average_rps * SECONDS_PER_MONTH * inputs.request_bytes / 1e9
    nat_hourly, nat_gb = (clean(p * factor, 6) for p in prices.NAT[provider])
    return [
        CostItem(
            component="load_balancer",
            monthly_usd=hourly * HOURS_PER_MONTH + gb * per_gb,
            basis=f"${fmt(hourly)}/h + {fmt(gb)} GB at ${fmt(per_gb)}/GB "
            f"({inputs.request_bytes} B per request and response)",
        ),
        CostItem(
            component="nat",
            monthly_usd=inputs.zones * nat_hourly * HOURS_PER_MONTH + NAT_GB_PER_MONTH * nat_gb,
            basis=f"{count(inputs.zones, 'gateways')} at ${fmt(nat_hourly)}/h "
            f"+ {fmt(NAT_GB_PER_MONTH)} GB",
        ),
    ]


def _local(budget: float | None) -> CostPlan:
    """The local profile runs on the developer's machine: nothing is billed."""
    return CostPlan(
        price_table_date=PRICE_TABLE_DATE,
        price_source=prices.PRICE_SOURCE,
        price_region=None,
        region_factor=1.0,
        currency="USD",
        items=(),
        serving=None,
        total_usd_month=0.0,
        floor_usd_month=0.0,
        peak_usd_month=0.0,
        budget_usd_month=budget,
        over_budget=False,
        over_budget_at_peak=False,
        budget_used_percent=0.0 if budget else None,
    )


def _record_prices(rec: Recorder, region: RegionPrices) -> None:
    known = (
        f"{region.region} is priced at {fmt(region.factor)} × the {region.reference} list price"
        if region.known
        else f"{region.region} is not in the price table: {region.reference} prices are used"
    )
    rec.add(
        "cost.prices",
        f"{region.region} × {fmt(region.factor)}",
        formula="price = reference-region list price × region factor (control plane: flat)",
        computed=[known, f"table of {PRICE_TABLE_DATE}"],
        inputs={
            "region": region.region,
            "reference_region": region.reference,
            "region_factor": region.factor,
            "price_table_date": PRICE_TABLE_DATE,
        },
        sources=[("infrastructure", "region"), ("infrastructure", "cloud")],
        reason=f"{prices.PRICE_SOURCE}; the factor is the region's general-purpose node price "
        "over the reference region's",
    )


def _record_serving(rec: Recorder, serving: ServingCost) -> None:
    rec.add(
        "cost.serving_range",
        serving.expected_usd_month,
        unit="USD/month",
        formula="floor = HPA floor nodes all month; expected = mean nodes over the day's "
        "profile; peak = planned peak nodes all month",
        computed=[
            f"floor {count(serving.floor_nodes, 'nodes')} ${fmt(serving.floor_usd_month)}",
            f"expected {fmt(serving.expected_nodes)} nodes ${fmt(serving.expected_usd_month)}",
            f"peak {count(serving.peak_nodes, 'nodes')} ${fmt(serving.peak_usd_month)}",
        ],
        inputs={"floor_nodes": serving.floor_nodes, "peak_nodes": serving.peak_nodes},
        sources=[("slo", "throughput"), ("infrastructure", "cloud")],
        reason="the month is billed over the daily traffic curve: the floor is the quiet hour, "
        "the peak a month of the busiest hour",
    )


def _record_total(rec: Recorder, items: list[CostItem], plan: CostPlan) -> None:
    total, budget = plan.total_usd_month, plan.budget_usd_month
    rec.add(
        "cost.total_usd_month",
        total,
        unit="USD/month",
        formula="Σ components (serving at the expected fleet); compared with budget_usd_month",
        computed=[
            " + ".join(fmt(i.monthly_usd) for i in items) + f" = {fmt(total)}",
            f"floor {fmt(plan.floor_usd_month)}, peak {fmt(plan.peak_usd_month)}",
            f"budget {fmt(budget)}",
        ],
        inputs={"budget_usd_month": budget},
        sources=[("infrastructure", "budget_usd_month")],
        reason="an estimate to compare designs and catch overruns before anything is deployed",
    )
    if budget is None:
        return
    if plan.over_budget:
        biggest = max(items, key=lambda i: i.monthly_usd)
        rec.warn(
            "W502",
            f"estimated ${fmt(total)}/month exceeds the budget of ${fmt(budget)} "
            f"(largest: {biggest.component}, ${fmt(biggest.monthly_usd)})",
            ("infrastructure", "budget_usd_month"),
            hint="relax the SLO, add a cache, quantise or shrink models, or raise the budget",
        )
    elif plan.over_budget_at_peak:
        rec.warn(
            "W512",
            f"a month at peak traffic would cost ${fmt(plan.peak_usd_month)}, over the budget of "
            f"${fmt(budget)} (expected ${fmt(total)} over the daily profile)",
            ("infrastructure", "budget_usd_month"),
            hint="keep headroom in the budget for a month of peak-hour traffic (a season, a "
            "campaign), cap the HPA maximum, or lower peak_rps if the peak is short",
        )


def plan_cost(spec: Spec, rec: Recorder, inputs: CostInputs) -> CostPlan:
    """Price every component, total them and compare with the budget (W502, W512)."""
    budget = spec.infrastructure.budget_usd_month
    provider = spec.infrastructure.cloud
    if provider == "local":
        return _local(budget)
    region = prices.region_prices(provider, spec.infrastructure.region)
    _record_prices(rec, region)
    listed, serving = _items(spec, inputs, region)
    items = sorted(listed, key=lambda i: i.component)
    for item in items:
        rec.add(
            f"cost.{item.component}",
            item.monthly_usd,
            unit="USD/month",
            formula="units × list price × region factor × hours (730/month)",
            computed=f"{item.basis} = {fmt(item.monthly_usd)}",
            inputs={"price_table_date": PRICE_TABLE_DATE, "region": region.region},
            sources=[("infrastructure", "cloud"), ("infrastructure", "region")],
            reason=f"on-demand list price, table of {PRICE_TABLE_DATE}, {region.region}",
        )
    if serving is not None:
        _record_serving(rec, serving)
    total = clean(sum(i.monthly_usd for i in items), 6)
    expected = serving.expected_usd_month if serving else 0.0
    floor = clean(total - expected + (serving.floor_usd_month if serving else 0.0), 6)
    peak = clean(total - expected + (serving.peak_usd_month if serving else 0.0), 6)
    plan = CostPlan(
        price_table_date=PRICE_TABLE_DATE,
        price_source=prices.PRICE_SOURCE,
        price_region=region.region,
        region_factor=region.factor,
        currency="USD",
        items=tuple(items),
        serving=serving,
        total_usd_month=total,
        floor_usd_month=floor,
        peak_usd_month=peak,
        budget_usd_month=budget,
        over_budget=budget is not None and total > budget,
        over_budget_at_peak=budget is not None and peak > budget,
        budget_used_percent=clean(total / budget * 100, 4) if budget else None,
    )
    _record_total(rec, items, plan)
    return plan
