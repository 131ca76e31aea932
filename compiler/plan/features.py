# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""The feature store: views with TTLs and refresh schedules, and the online store's size.

TTL and refresh go together: a batch view's values age by up to its materialisation
interval plus the source's own freshness lag, and a value older than the TTL is served as
missing. The plan picks the longest standard refresh interval that still leaves room for
three missed runs inside the TTL, and warns when the TTL is shorter than the staleness.

Online memory follows Feast's Redis layout: one hash per entity key, one field per feature
plus a timestamp field per view. Per key: ~48 B serialised entity key, ~64 B of Redis object
and dict overhead, ~24 B per field (hashed name, serialised value, listpack entry). The total
is multiplied by 1.3 for allocator fragmentation and divided by 0.75 so used memory stays
under three quarters of ``maxmemory`` (replication buffers, fork for snapshots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import online_store
from mlopsgen.plan.ir.data import EntityPlan, FeaturePlan, FeaturesPlan, OnlineStorePlan, ViewPlan
from mlopsgen.plan.model_plans import feature_type
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.models.types import duration_seconds

KEY_BYTES = 48
KEY_OVERHEAD_BYTES = 64
FIELD_BYTES = 24
FRAGMENTATION = 1.3
FILL = 0.75

#: Standard refresh intervals (seconds) and their cron expressions, shortest first.
REFRESH = ((900, "*/15 * * * *"), (3600, "0 * * * *"), (21600, "0 */6 * * *"), (86400, "0 2 * * *"))
MISSED_RUNS_TOLERATED = 3


def refresh_interval(ttl_seconds: int) -> tuple[int, str]:
    """Longest standard interval with ``MISSED_RUNS_TOLERATED + 1`` refreshes per TTL."""
    fitting = [r for r in REFRESH if r[0] * (MISSED_RUNS_TOLERATED + 1) <= ttl_seconds]
    return fitting[-1] if fitting else REFRESH[0]


def _view(spec: Spec, rec: Recorder, index: int) -> ViewPlan:
    view = spec.features.views[index]
    ttl = duration_seconds(view.ttl)
    freshness = spec.data.validation.freshness_max_minutes
    lag = int((freshness or 0) * 60)
    where = ("features", "views", index)
    interval, cron = (None, None) if view.compute == "stream" else refresh_interval(ttl)
    staleness = lag + (interval or 0)
    if staleness > ttl:
        _warn_stale(rec, index, view.name, view.ttl, staleness, interval, lag)
    refresh = f"refresh every {fmt(interval / 3600)} h ({cron})" if interval else "stream push"
    rec.add(
        f"features.views.{view.name}.ttl_seconds",
        ttl,
        unit="s",
        formula="ttl; batch refresh = longest of 15m/1h/6h/1d with interval × 4 ≤ ttl",
        computed=[f"{view.ttl} = {ttl} s", refresh, f"staleness ≤ {fmt(staleness)} s"],
        inputs={"ttl": view.ttl, "freshness_max_minutes": freshness},
        sources=[(*where, "ttl"), ("data", "validation", "freshness_max_minutes")],
        reason="a value must outlive three missed refreshes, or a brief outage empties the store",
    )
    features = tuple(
        FeaturePlan(
            name=f.name,
            agg=f.agg,
            column=f.column,
            window=f.window,
            window_seconds=duration_seconds(f.window),
            dtype=feature_type(spec, view, f),
        )
        for f in view.features
    )
    return ViewPlan(
        name=view.name,
        entity=view.entity,
        source=view.source,
        ttl=view.ttl,
        ttl_seconds=ttl,
        compute=view.compute,
        online=view.online,
        materialization_cron=cron,
        materialization_interval_seconds=interval,
        max_staleness_seconds=staleness,
        features=features,
    )


def _warn_stale(
    rec: Recorder, index: int, name: str, ttl: str, staleness: int, interval: int | None, lag: int
) -> None:
    rec.warn(
        "W506",
        f"view {name}: values can be {fmt(staleness / 3600)} h old (refresh "
        f"{fmt((interval or 0) / 3600)} h + source freshness {fmt(lag / 3600)} h) but expire "
        f"after {ttl}",
        ("features", "views", index, "ttl"),
        hint="raise the TTL or tighten data.validation.freshness_max_minutes",
    )


def _entities(spec: Spec) -> tuple[EntityPlan, ...]:
    out = []
    for entity in spec.features.entities:
        owner = next((s for s in spec.data.sources if entity.key in s.schema_), None)
        key_type = owner.schema_[entity.key].type if owner is not None else "string"
        out.append(
            EntityPlan(
                name=entity.name,
                key=entity.key,
                key_type=key_type,
                cardinality=entity.cardinality,
                description=entity.description,
            )
        )
    return tuple(out)


def online_data_bytes(spec: Spec) -> tuple[int, int, int]:
    """Keys, feature values and bytes of the online store's data (before overheads)."""
    keys = values = total = 0
    for entity in spec.features.entities:
        views = [v for v in spec.features.views if v.entity == entity.name and v.online]
        if not views:
            continue
        fields = sum(len(v.features) for v in views) + len(views)
        keys += entity.cardinality
        values += entity.cardinality * sum(len(v.features) for v in views)
        total += entity.cardinality * (KEY_BYTES + KEY_OVERHEAD_BYTES + fields * FIELD_BYTES)
    return keys, values, total


@dataclass(frozen=True)
class StoreDemand:
    """What the serving path asks of the online store: views read, rates and cache."""

    views_read: tuple[str, ...]
    peak_rps: float
    average_rps: float
    cache_hit: float
    cache_bytes: int


def _online_store(spec: Spec, rec: Recorder, zones: int, demand: StoreDemand) -> OnlineStorePlan:
    provider = spec.infrastructure.cloud
    cache_bytes = demand.cache_bytes
    keys, values, data = online_data_bytes(spec)
    memory_gb = math.ceil((data + cache_bytes) * FRAGMENTATION / FILL / 1e8) / 10
    kind = "sqlite" if provider == "local" else spec.features.online_store
    rec.add(
        "features.online_store.memory_gb",
        memory_gb,
        unit="GB",
        formula=f"(Σ keys × ({KEY_BYTES} + {KEY_OVERHEAD_BYTES} + fields × {FIELD_BYTES}) + cache) "
        f"× {FRAGMENTATION:g} / {FILL:g}",
        computed=f"({fmt(data / 1e9)} + {fmt(cache_bytes / 1e9)}) GB "
        f"× {FRAGMENTATION:g} / {FILL:g} = {fmt(memory_gb)}",
        inputs={"keys": keys, "feature_values": values, "cache_bytes": cache_bytes},
        sources=[("features", "entities"), ("features", "views"), ("serving", "cache")],
        reason="the in-memory footprint (Redis holds every key in memory; fragmentation and "
        "fork headroom come on top); disk-backed stores bill the data itself",
    )
    need = online_store.load(
        spec,
        demand.views_read,
        (demand.peak_rps, demand.average_rps, demand.cache_hit if cache_bytes else 0.0),
        (keys, data + cache_bytes, memory_gb),
        lambda ttl: refresh_interval(ttl)[0],
    )
    sized = online_store.size(provider, kind, zones, need)
    if provider != "local":
        online_store.record(rec, kind, need, sized)
    return OnlineStorePlan(
        kind=kind,
        service=sized.service,
        keys=keys,
        feature_values=values,
        data_bytes=data,
        cache_bytes=cache_bytes,
        memory_gb=memory_gb,
        reads_per_second=clean(need.reads_per_second),
        writes_per_second=clean(need.writes_per_second),
        node_type=sized.node_type,
        node_memory_gb=sized.node_memory_gb,
        shards=sized.shards,
        replicas_per_shard=sized.replicas_per_shard,
        nodes=sized.nodes,
        clusters=sized.clusters,
        capacity_mode=sized.capacity_mode,
        sla_percent=sized.sla_percent,
        sla_basis=sized.sla_basis,
        monthly_usd=clean(sized.monthly_usd, 6),
        cost_basis=sized.basis,
        path="data/online_store.db" if provider == "local" else None,
    )


def plan_features(spec: Spec, rec: Recorder, zones: int, demand: StoreDemand) -> FeaturesPlan:
    """Entities, views and both stores, sized for the cloud or substituted locally."""
    provider = spec.infrastructure.cloud
    offline = "parquet" if provider == "local" else spec.features.offline_store
    bucket = {"aws": "s3", "gcp": "gs"}.get(provider)
    if provider == "local":
        location = "data/offline"
    elif offline == "parquet" and bucket is not None:
        location = f"{bucket}://{spec.system.name}-offline-store/"
    else:
        location = f"{offline}://{spec.system.name.replace('-', '_')}"
    return FeaturesPlan(
        online_store=_online_store(spec, rec, zones, demand),
        offline_store=offline,
        offline_location=location,
        entities=_entities(spec),
        views=tuple(_view(spec, rec, i) for i in range(len(spec.features.views))),
    )
