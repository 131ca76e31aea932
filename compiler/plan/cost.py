# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Monthly cost estimate from an offline, dated price table, against the spec's budget.

Prices are on-demand list prices in USD as of 2026-11 for the reference regions
(AWS us-east-1, GCP us-central1); other regions differ by roughly 0-20 %, and committed-use
or spot discounts would lower the figures. The planner never calls a pricing API, so the
estimate is reproducible and works offline. A month is 730 hours. Serving is billed at the
HPA floor (the average load's fleet), training and batch at their expected node-hours.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mlopsgen.plan.ir.data import ModelPlan, OnlineStorePlan, TrainingModelPlan
from mlopsgen.plan.ir.ops import CostItem, CostPlan, NodePool
from mlopsgen.plan.ir.serving import BatchJobPlan, ReplicaPlan
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec

PRICE_TABLE_DATE = "2026-11"
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = 30 * 86400

#: On-demand $/hour per node type (GPU node types include their GPU).
NODE_HOURLY: dict[str, dict[str, float]] = {
    "aws": {
        "c7i.4xlarge": 0.714,
        "m7i.4xlarge": 0.8064,
        "r7i.4xlarge": 1.0584,
        "m7i.xlarge": 0.2016,
        "g4dn.xlarge": 0.526,
        "g6.xlarge": 0.8048,
        "g5.xlarge": 1.006,
        "p4d.24xlarge": 32.7726,
        "p5.48xlarge": 98.32,
    },
    "gcp": {
        "n2-highcpu-16": 0.5736,
        "n2-standard-16": 0.7769,
        "n2-highmem-16": 1.0481,
        "n2-standard-4": 0.1942,
        "n1-standard-8": 0.73,
        "g2-standard-8": 0.8536,
        "a2-highgpu-1g": 3.6731,
        "a3-highgpu-1g": 11.0613,
    },
}
#: Managed Redis $/node-hour (ElastiCache r7g; Memorystore for Redis Cluster).
REDIS_HOURLY: dict[str, float] = {
    "cache.r7g.large": 0.219,
    "cache.r7g.xlarge": 0.437,
    "cache.r7g.2xlarge": 0.873,
    "cache.r7g.4xlarge": 1.747,
    "redis-shared-core-nano": 0.0319,
    "redis-standard-small": 0.1406,
    "redis-highmem-medium": 0.2524,
    "redis-highmem-xlarge": 1.1264,
}
CONTROL_PLANE_HOURLY = {"aws": 0.10, "gcp": 0.10}
#: Load balancer: $/hour and $/GB processed (ALB LCU, GCP forwarding rule + data).
LOAD_BALANCER = {"aws": (0.0225, 0.008), "gcp": (0.025, 0.008)}
#: NAT: $/hour per zone and $/GB processed.
NAT = {"aws": (0.045, 0.045), "gcp": (0.044, 0.045)}
NAT_GB_PER_MONTH = 100.0
"""Assumed egress through NAT: image pulls, package installs, external APIs."""
OBJECT_STORAGE_GB_MONTH = {"aws": 0.023, "gcp": 0.020}


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


def _node_price(provider: str, pool: NodePool | None) -> float:
    return NODE_HOURLY[provider][pool.instance_type] if pool else 0.0


def _pool(inputs: CostInputs, role: str) -> NodePool | None:
    return next((p for p in inputs.pools if p.role == role), None)


def _items(spec: Spec, inputs: CostInputs) -> list[CostItem]:
    provider = spec.infrastructure.cloud
    items = [
        CostItem(
            component="control_plane",
            monthly_usd=CONTROL_PLANE_HOURLY[provider] * HOURS_PER_MONTH,
            basis=f"managed Kubernetes ${CONTROL_PLANE_HOURLY[provider]}/h",
        )
    ]
    for pool in inputs.pools:
        if pool.role in ("system", "serving", "gpu-serving"):
            price = _node_price(provider, pool)
            items.append(
                CostItem(
                    component=f"{pool.name.replace('-', '_')}_nodes",
                    monthly_usd=pool.planned_nodes * price * HOURS_PER_MONTH,
                    basis=f"{pool.planned_nodes} × {pool.instance_type} at ${price}/h",
                )
            )
    items += [_training(spec, inputs), _batch(spec, inputs), _store(inputs)]
    items += _network(spec, inputs)
    items.append(
        CostItem(
            component="object_storage",
            monthly_usd=inputs.stored_gb * OBJECT_STORAGE_GB_MONTH[provider],
            basis=f"{fmt(inputs.stored_gb)} GB at ${OBJECT_STORAGE_GB_MONTH[provider]}/GB-month",
        )
    )
    return [dataclasses.replace(i, monthly_usd=clean(i.monthly_usd, 6)) for i in items]


def _training(spec: Spec, inputs: CostInputs) -> CostItem:
    provider = spec.infrastructure.cloud
    cpu_pool, gpu_pool = _pool(inputs, "training"), _pool(inputs, "gpu-training")
    total, hours = 0.0, 0.0
    for model, train in zip(inputs.models, inputs.training, strict=True):
        step = next((s for s in model.steps if s.name == "train"), None)
        if step is None or not train.trainable:
            continue
        node_hours = train.runs_per_month * train.shards * train.hours_per_shard
        if step.gpu and gpu_pool is not None:
            share = step.gpu / max(gpu_pool.gpus, 1)
            total += node_hours * share * _node_price(provider, gpu_pool)
        elif cpu_pool is not None:
            share = step.cpu / (cpu_pool.vcpu - 1)
            total += node_hours * share * _node_price(provider, cpu_pool)
        hours += node_hours
    return CostItem(
        component="training",
        monthly_usd=total,
        basis=f"{fmt(hours)} shard-hours/month (runs × shards × hours per shard), "
        "billed by the share of a node each shard requests",
    )


def _batch(spec: Spec, inputs: CostInputs) -> CostItem:
    batch = inputs.batch
    if batch is None or batch.expected_minutes is None:
        return CostItem(component="batch", monthly_usd=0.0, basis="no batch job")
    provider = spec.infrastructure.cloud
    pool = _pool(inputs, "gpu-training" if inputs.replica.gpu else "training")
    if pool is None:
        return CostItem(component="batch", monthly_usd=0.0, basis="no batch pool")
    share = (
        inputs.replica.gpu / max(pool.gpus, 1)
        if inputs.replica.gpu
        else inputs.replica.cpu / (pool.vcpu - 1)
    )
    hours = batch.runs_per_month * batch.workers * batch.expected_minutes / 60
    return CostItem(
        component="batch",
        monthly_usd=hours * share * _node_price(provider, pool),
        basis=f"{fmt(batch.runs_per_month)} runs × {batch.workers} workers × "
        f"{fmt(batch.expected_minutes)} min on {pool.instance_type}",
    )


def _store(inputs: CostInputs) -> CostItem:
    store = inputs.online_store
    if store.node_type is None:
        return CostItem(component="online_store", monthly_usd=0.0, basis=store.service)
    nodes = store.shards * (1 + store.replicas_per_shard)
    price = REDIS_HOURLY[store.node_type]
    per_gb = price / (store.node_memory_gb or 1)
    return CostItem(
        component="online_store",
        monthly_usd=nodes * price * HOURS_PER_MONTH,
        basis=f"{nodes} × {store.node_type} at ${price}/h (${fmt(per_gb)}/GB-hour)",
    )


def _network(spec: Spec, inputs: CostInputs) -> list[CostItem]:
    provider = spec.infrastructure.cloud
    hourly, per_gb = LOAD_BALANCER[provider]
    gb = inputs.average_rps * SECONDS_PER_MONTH * inputs.request_bytes / 1e9
    nat_hourly, nat_gb = NAT[provider]
    return [
        CostItem(
            component="load_balancer",
            monthly_usd=hourly * HOURS_PER_MONTH + gb * per_gb,
            basis=f"${hourly}/h + {fmt(gb)} GB at ${per_gb}/GB "
            f"({inputs.request_bytes} B per request and response)",
        ),
        CostItem(
            component="nat",
            monthly_usd=inputs.zones * nat_hourly * HOURS_PER_MONTH + NAT_GB_PER_MONTH * nat_gb,
            basis=f"{inputs.zones} gateways at ${nat_hourly}/h + {fmt(NAT_GB_PER_MONTH)} GB",
        ),
    ]


def _local(budget: float | None) -> CostPlan:
    """The local profile runs on the developer's machine: nothing is billed."""
    return CostPlan(
        price_table_date=PRICE_TABLE_DATE,
        currency="USD",
        items=(),
        total_usd_month=0.0,
        budget_usd_month=budget,
        over_budget=False,
        budget_used_percent=0.0 if budget else None,
    )


def _record_total(rec: Recorder, items: list[CostItem], total: float, budget: float | None) -> None:
    rec.add(
        "cost.total_usd_month",
        total,
        unit="USD/month",
        formula="Σ components; compared with budget_usd_month",
        computed=" + ".join(fmt(i.monthly_usd) for i in items) + f" = {fmt(total)} "
        f"(budget {fmt(budget)})",
        inputs={"budget_usd_month": budget},
        sources=[("infrastructure", "budget_usd_month")],
        reason="an estimate to compare designs and catch overruns before anything is deployed",
    )
    if budget is not None and total > budget:
        biggest = max(items, key=lambda i: i.monthly_usd)
        rec.warn(
            "W502",
            f"estimated ${fmt(total)}/month exceeds the budget of ${fmt(budget)} "
            f"(largest: {biggest.component}, ${fmt(biggest.monthly_usd)})",
            ("infrastructure", "budget_usd_month"),
            hint="relax the SLO, add a cache, quantise or shrink models, or raise the budget",
        )


def plan_cost(spec: Spec, rec: Recorder, inputs: CostInputs) -> CostPlan:
    """Price every component, total them and compare with the budget (W502 when over)."""
    budget = spec.infrastructure.budget_usd_month
    if spec.infrastructure.cloud == "local":
        return _local(budget)
    items = sorted(_items(spec, inputs), key=lambda i: i.component)
    for item in items:
        rec.add(
            f"cost.{item.component}",
            item.monthly_usd,
            unit="USD/month",
            formula=f"units × list price × hours ({HOURS_PER_MONTH}/month)",
            computed=f"{item.basis} = {fmt(item.monthly_usd)}",
            inputs={"price_table_date": PRICE_TABLE_DATE},
            sources=[("infrastructure", "cloud")],
            reason=f"on-demand list price, table of {PRICE_TABLE_DATE}",
        )
    total = clean(sum(i.monthly_usd for i in items), 6)
    over = budget is not None and total > budget
    used = clean(total / budget * 100, 4) if budget else None
    _record_total(rec, items, total, budget)
    return CostPlan(
        price_table_date=PRICE_TABLE_DATE,
        currency="USD",
        items=tuple(items),
        total_usd_month=total,
        budget_usd_month=budget,
        over_budget=over,
        budget_used_percent=used,
    )
