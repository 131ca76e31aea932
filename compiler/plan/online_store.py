# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""The online store: each kind sized from its reads, writes and data, priced, and given its SLA.

Load: a request reads one row per entity of the online views it needs (at the planned peak
rate), plus one prediction-cache lookup when a cache lives in the store; writes come from
freshness: a stream view writes each source event, a batch view rewrites every key once per
refresh interval, and each cache miss writes its answer.

- Redis (ElastiCache, Memorystore for Redis Cluster) holds everything in memory: shards are
  the larger of memory / largest node and operations / 70,000 per shard (a primary serves
  ~100,000 small hash reads per second; 70 % keeps headroom), one replica per other zone.
- Bigtable serves about 17,000 reads and 14,000 writes per second per SSD node (Google's
  published figures for 1 KB rows), planned at 70 % CPU, at least one node per 5 TB; with
  two or more zones the instance has two clusters in different zones with multi-cluster
  routing, each sized for the whole load (writes replicate to both).
- DynamoDB bills request units: an eventually consistent read of up to 4 KB is half a read
  unit, a write of up to 1 KB one write unit. On-demand capacity is priced at the day's
  average (writes from freshness are daily means already), provisioned capacity at the peak
  over the 70 % auto-scaling target; the cheaper mode is chosen.

Published SLAs (monthly uptime, 2026-11): ElastiCache Multi-AZ 99.99 %, single-AZ 99.9 %
(aws.amazon.com/elasticache/sla); Memorystore for Redis Cluster multi-zone 99.99 %,
single-zone 99.9 % (cloud.google.com/memorystore/sla); Bigtable multi-cluster routing
99.99 %, single cluster 99.9 % (cloud.google.com/bigtable/sla); DynamoDB standard tables
99.99 % (aws.amazon.com/dynamodb/sla).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mlopsgen.plan import prices
from mlopsgen.plan.record import Recorder, clean, count, fmt
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import duration_seconds

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = 30 * 86400
TARGET_UTILISATION = 0.7
REDIS_OPS_PER_SHARD = 100_000
BIGTABLE_READS_PER_NODE = 17_000
BIGTABLE_WRITES_PER_NODE = 14_000
BIGTABLE_TB_PER_NODE = 5.0
DYNAMODB_READ_UNITS = 0.5
"""Read request units per eventually consistent item read of up to 4 KB."""

#: Managed Redis node types and their memory in GB, smallest first.
REDIS_NODES: dict[str, tuple[tuple[str, float], ...]] = {
    "aws": (
        ("cache.r7g.large", 14.03),
        ("cache.r7g.xlarge", 28.26),
        ("cache.r7g.2xlarge", 56.72),
        ("cache.r7g.4xlarge", 113.6),
    ),
    "gcp": (
        ("redis-shared-core-nano", 1.4),
        ("redis-standard-small", 6.5),
        ("redis-highmem-medium", 13.0),
        ("redis-highmem-xlarge", 58.0),
    ),
}
#: (service name, SLA % single-zone, SLA % multi-zone, source) per (cloud, kind).
SERVICES: dict[str, tuple[str, float, float, str]] = {
    "aws/redis": ("elasticache-redis", 99.9, 99.99, "aws.amazon.com/elasticache/sla"),
    "gcp/redis": ("memorystore-redis-cluster", 99.9, 99.99, "cloud.google.com/memorystore/sla"),
    "bigtable": ("bigtable", 99.9, 99.99, "cloud.google.com/bigtable/sla"),
    "dynamodb": ("dynamodb", 99.99, 99.99, "aws.amazon.com/dynamodb/sla"),
}


@dataclass(frozen=True)
class StoreLoad:
    """Operations per second the store serves at the planned peak, and its data."""

    reads_per_second: float
    writes_per_second: float
    average_fraction: float
    data_bytes: int
    keys: int
    memory_gb: float


@dataclass(frozen=True)
class StoreSize:
    """How a store kind is provisioned."""

    service: str
    node_type: str | None = None
    node_memory_gb: float | None = None
    shards: int = 0
    replicas_per_shard: int = 0
    nodes: int = 0
    clusters: int = 0
    capacity_mode: str | None = None
    sla_percent: float | None = None
    sla_basis: str = ""
    monthly_usd: float = 0.0
    basis: str = ""


def load(
    spec: Spec,
    views_read: tuple[str, ...],
    peak: tuple[float, float, float],
    data: tuple[int, int, float],
    refresh_seconds: Callable[[int], int],
) -> StoreLoad:
    """Reads and writes per second at peak: ``peak`` is (peak rps, average rps, cache hit).

    ``data`` is (keys, data bytes, memory GB) of the store; ``refresh_seconds`` maps a batch
    view's TTL to its refresh interval.
    """
    peak_rps, average_rps, hit = peak
    views = {v.name: v for v in spec.features.views}
    entities = {views[name].entity for name in views_read if name in views}
    cache = 1 if hit > 0 else 0
    reads = peak_rps * (len(entities) + cache)
    writes = peak_rps * (1 - hit) * cache
    for view in spec.features.views:
        if not view.online:
            continue
        entity = next(e for e in spec.features.entities if e.name == view.entity)
        source = next((s for s in spec.data.sources if s.name == view.source), None)
        if view.compute == "stream" and source is not None and source.rows_per_day:
            writes += source.rows_per_day / 86400
        else:
            writes += entity.cardinality / refresh_seconds(duration_seconds(view.ttl))
    fraction = average_rps / peak_rps if peak_rps > 0 else 1.0
    keys, data_bytes, memory_gb = data
    return StoreLoad(
        reads_per_second=reads,
        writes_per_second=writes,
        average_fraction=min(fraction, 1.0),
        data_bytes=data_bytes,
        keys=keys,
        memory_gb=memory_gb,
    )


def _sla(key: str, multi_zone: bool, form: str, suffix: str = "") -> tuple[str, float, str]:
    name, single, multi, source = SERVICES[key]
    service = name + suffix
    sla = multi if multi_zone else single
    return service, sla, f"{service} {form}: {fmt(sla)} % published SLA ({source})"


def _redis(provider: str, zones: int, need: StoreLoad) -> StoreSize:
    nodes = REDIS_NODES[provider]
    by_memory = math.ceil(need.memory_gb / nodes[-1][1])
    ops = need.reads_per_second + need.writes_per_second
    by_ops = math.ceil(round(ops / (REDIS_OPS_PER_SHARD * TARGET_UTILISATION), 9))
    shards = max(1, by_memory, by_ops)
    name, size = next((n for n in nodes if n[1] >= need.memory_gb / shards), nodes[-1])
    replicas = max(1, zones - 1)
    total = shards * (1 + replicas)
    price = prices.REDIS_HOURLY[name]
    multi = zones >= 2
    suffix = "-multi-az" if provider == "aws" and multi else ""
    form = "multi-zone" if multi else "single-zone"
    service, sla, basis = _sla(f"{provider}/redis", multi, form, suffix)
    return StoreSize(
        service=service,
        node_type=name,
        node_memory_gb=size,
        shards=shards,
        replicas_per_shard=replicas,
        nodes=total,
        clusters=1,
        sla_percent=sla,
        sla_basis=basis,
        monthly_usd=total * price * HOURS_PER_MONTH,
        basis=f"{total} × {name} at ${price}/h (max(1, ceil({fmt(need.memory_gb)} GB / "
        f"{fmt(nodes[-1][1])}), ceil({fmt(ops)} ops/s / 70,000)) = {count(shards, 'shards')} × "
        f"(1 + {replicas}) nodes)",
    )


def _bigtable(zones: int, need: StoreLoad) -> StoreSize:
    load_nodes = (
        need.reads_per_second / BIGTABLE_READS_PER_NODE
        + need.writes_per_second / BIGTABLE_WRITES_PER_NODE
    ) / TARGET_UTILISATION
    stored_tb = need.data_bytes / 1e12
    per_cluster = max(
        1, math.ceil(round(load_nodes, 9)), math.ceil(stored_tb / BIGTABLE_TB_PER_NODE)
    )
    clusters = 2 if zones >= 2 else 1
    nodes = per_cluster * clusters
    stored_gb = need.data_bytes / 1e9 * clusters
    monthly = (
        nodes * prices.BIGTABLE_NODE_HOURLY * HOURS_PER_MONTH
        + stored_gb * prices.BIGTABLE_SSD_GB_MONTH
    )
    form = "multi-cluster routing" if clusters == 2 else "single cluster"
    service, sla, basis = _sla("bigtable", clusters == 2, form)
    return StoreSize(
        service=service,
        nodes=nodes,
        clusters=clusters,
        sla_percent=sla,
        sla_basis=basis,
        monthly_usd=monthly,
        basis=f"{count(clusters, 'clusters')} × max(1, ceil(({fmt(need.reads_per_second)}/17,000 + "
        f"{fmt(need.writes_per_second)}/14,000) / 0.7)) = {nodes} nodes at "
        f"${prices.BIGTABLE_NODE_HOURLY}/h + {fmt(stored_gb)} GB SSD at "
        f"${prices.BIGTABLE_SSD_GB_MONTH}/GB-month",
    )


def _dynamodb(need: StoreLoad) -> StoreSize:
    item_kb = need.data_bytes / max(need.keys, 1) / 1000
    write_units = max(1, math.ceil(item_kb))
    reads = need.reads_per_second * DYNAMODB_READ_UNITS
    writes = need.writes_per_second * write_units
    # reads follow the traffic (billed at the day's average); writes are already daily means
    on_demand = (
        reads
        * SECONDS_PER_MONTH
        * need.average_fraction
        * prices.DYNAMODB_ON_DEMAND_READ_PER_MILLION
        + writes * SECONDS_PER_MONTH * prices.DYNAMODB_ON_DEMAND_WRITE_PER_MILLION
    ) / 1e6
    provisioned = (
        reads / TARGET_UTILISATION * prices.DYNAMODB_RCU_HOURLY
        + writes / TARGET_UTILISATION * prices.DYNAMODB_WCU_HOURLY
    ) * HOURS_PER_MONTH
    mode = "on_demand" if on_demand <= provisioned else "provisioned"
    storage = need.data_bytes / 1e9 * prices.DYNAMODB_GB_MONTH
    service, sla, basis = _sla("dynamodb", True, "standard table")
    return StoreSize(
        service=service,
        capacity_mode=mode,
        sla_percent=sla,
        sla_basis=basis,
        monthly_usd=min(on_demand, provisioned) + storage,
        basis=f"{mode.replace('_', '-')}: min(on-demand ${fmt(on_demand)}, provisioned at peak "
        f"/ 0.7 ${fmt(provisioned)}) + {fmt(need.data_bytes / 1e9)} GB at "
        f"${prices.DYNAMODB_GB_MONTH}/GB-month, at peak {fmt(reads)} RRU/s and {fmt(writes)} WRU/s",
    )


def size(provider: str, kind: str, zones: int, need: StoreLoad) -> StoreSize:
    """Provision a store kind for its load; nothing for SQLite, locally, or an empty store."""
    if provider == "local" or kind == "sqlite":
        return StoreSize(service="sqlite", basis="SQLite file next to the service")
    if need.keys == 0 and need.memory_gb <= 0:
        service = SERVICES[f"{provider}/redis" if kind == "redis" else kind][0]
        return StoreSize(service=service, basis="no online view and no cache: nothing to hold")
    if kind == "redis":
        return _redis(provider, zones, need)
    if kind == "bigtable":
        return _bigtable(zones, need)
    return _dynamodb(need)


def record(rec: Recorder, kind: str, need: StoreLoad, sized: StoreSize) -> None:
    """The store's load, provisioning and price as decisions."""
    rec.add(
        "features.online_store.reads_per_second",
        clean(need.reads_per_second),
        unit="ops/s",
        formula="peak_rps × (entities read + cache lookup); writes = stream events/s + "
        "keys / refresh interval + cache misses",
        computed=f"reads {fmt(need.reads_per_second)}/s, writes {fmt(need.writes_per_second)}/s",
        inputs={"keys": need.keys, "data_bytes": need.data_bytes},
        sources=[("slo", "throughput"), ("features", "views"), ("data", "sources")],
        reason="a store is sized by the operations it serves as much as by what it holds",
    )
    rec.add(
        "features.online_store.provisioned",
        sized.service,
        formula=f"{kind}: see the basis; priced at the reference-region list price",
        computed=f"{sized.basis} = ${fmt(clean(sized.monthly_usd, 6))}/month",
        inputs={"zones_multi": sized.clusters, "sla_percent": sized.sla_percent},
        sources=[("features", "online_store"), ("infrastructure", "cloud")],
        reason=sized.sla_basis or "no managed store",
    )
