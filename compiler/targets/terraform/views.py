"""The values a stack's Terraform roots read, taken from the Plan as JSON-ready data.

Nothing here is written into HCL: the target dumps these mappings as ``terraform.tfvars.json``
and the hand-written modules read them as typed variables, so no spec string can become HCL
syntax. Plan numbers (node counts, bounds, zones, store size) are copied as they are; the few
constants below are the target's own operating choices (log retention, disk sizes), named once.
"""

from __future__ import annotations

import math
from typing import Any

from mlopsgen import __version__
from mlopsgen.plan.ir.data import OnlineStorePlan
from mlopsgen.plan.ir.ops import NodePool
from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.cicd.environments import ENVIRONMENTS

__all__ = [
    "CLOUDS",
    "LABEL_PREFIX",
    "backend_settings",
    "cluster_tfvars",
    "node_pools",
    "platform_tfvars",
    "secret_names",
]

#: Clouds that get an ``infra/`` folder; ``local`` stacks get a README section instead.
CLOUDS = ("aws", "gcp")

#: Prefix of the node labels every pool carries (pool, role, GPU class).
LABEL_PREFIX = "mlopsgen.io"

#: Operating constants of the generated infrastructure (not planned: the same for every stack).
LOG_RETENTION_DAYS = 365  # a year of control-plane, flow and access logs
NONCURRENT_VERSION_DAYS = 30  # overwritten artifacts stay restorable for a month
REGISTRY_KEEP_IMAGES = 100
SECRET_RECOVERY_DAYS = 30
DISK_GIB = {"cpu": 100, "gpu": 200}  # GPU images (CUDA) are large
REDIS_ENGINE = "7.1"
REDIS_PORT = 6379
SNAPSHOT_RETENTION_DAYS = 7
MAINTENANCE_WINDOW = "sun:03:00-sun:04:00"
VPC_CIDR = {"aws": "10.0.0.0/16", "gcp": "10.0.0.0/20"}
GKE_RANGES = {"pods_cidr": "10.16.0.0/14", "services_cidr": "10.20.0.0/20"}
GKE_RANGES["master_cidr"] = "172.16.0.0/28"
KEY_ROTATION = "7776000s"  # 90 days
#: Accelerator type of each GPU class on Google Cloud (a10g is an AWS-only class).
GCP_ACCELERATORS = {"t4": "nvidia-tesla-t4", "l4": "nvidia-l4", "a100": "nvidia-tesla-a100"}
GCP_ACCELERATORS["h100"] = "nvidia-h100-80gb"
ZENML = {"namespace": "zenml", "release": "zenml", "port": 80, "chart_version": "0.98.0"}
MONITORING = {"namespace": "monitoring", "release": "kube-prometheus-stack"}
MONITORING_CHART_VERSION = "79.5.0"
AUTOSCALER = {"namespace": "kube-system", "name": "cluster-autoscaler"}
AUTOSCALER_CHART_VERSION = "9.46.6"
ONLINE_STORE_SECRET = "online-store-auth"

_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
_EFFECTS["PreferNoSchedule"] = "PREFER_NO_SCHEDULE"
_CAPACITY = {
    "aws": {"on_demand": "ON_DEMAND", "spot": "SPOT"},
    "gcp": {"on_demand": "STANDARD", "spot": "SPOT"},
}


def _taint(text: str) -> dict[str, str]:
    """``key=value:Effect`` (the plan's form) as the object both clouds' APIs take."""
    head, _, effect = text.rpartition(":")
    key, _, value = head.partition("=")
    return {"key": key, "value": value, "effect": _EFFECTS[effect]}


def _labels(pool: NodePool) -> dict[str, str]:
    labels = {f"{LABEL_PREFIX}/pool": pool.name, f"{LABEL_PREFIX}/role": pool.role}
    if pool.gpu_class is not None:
        labels[f"{LABEL_PREFIX}/gpu-class"] = pool.gpu_class
    return labels


def node_pools(plan: Plan) -> dict[str, dict[str, Any]]:
    """One node pool per plan pool: instance type, counts and bounds, GPUs, labels, taints."""
    cloud = plan.infrastructure.cloud
    pools: dict[str, dict[str, Any]] = {}
    for pool in plan.compute.pools:
        entry: dict[str, Any] = {
            "instance_type": pool.instance_type,
            "capacity_type": _CAPACITY[cloud][pool.capacity_type],
            "min_size": pool.min_nodes,
            "max_size": pool.max_nodes,
            "desired_size": pool.planned_nodes,
            "gpus": pool.gpus,
            "disk_size_gib": DISK_GIB["gpu" if pool.gpus else "cpu"],
            "labels": _labels(pool),
            "taints": [_taint(taint) for taint in pool.taints],
        }
        if cloud == "gcp":
            accelerator = GCP_ACCELERATORS.get(pool.gpu_class or "")
            entry["gpu_type"] = accelerator if pool.gpus else None
        pools[pool.name] = entry
    return pools


def secret_names(plan: Plan) -> list[str]:
    """Secrets the workloads read by name: store password, alert-channel keys, registry login."""
    names = {ONLINE_STORE_SECRET, "registry-credentials", "zenml-admin"}
    names.update(f"alerts-{route.channel}" for route in plan.monitoring.routes)
    return sorted(names)


def _feast_tables(plan: Plan) -> list[str]:
    """DynamoDB tables Feast writes: ``<project>.<view>`` for every online view."""
    project = plan.system.python_name
    return [f"{project}.{view.name}" for view in plan.features.views if view.online]


def _store_kind(store: OnlineStorePlan) -> str:
    """The kind to provision; ``none`` when the plan sized nothing to hold."""
    if store.kind == "redis" and store.shards == 0:
        return "none"
    if store.kind == "bigtable" and store.nodes == 0:
        return "none"
    if store.kind == "sqlite":
        return "none"
    return store.kind


def online_store(plan: Plan) -> dict[str, Any]:
    """The plan's online store as the online-store module reads it."""
    store = plan.features.online_store
    cloud = plan.infrastructure.cloud
    kind = _store_kind(store)
    common: dict[str, Any] = {
        "kind": kind,
        "node_type": store.node_type,
        "shards": store.shards,
        "replicas_per_shard": store.replicas_per_shard,
    }
    if cloud == "aws":
        return common | {
            "capacity_mode": store.capacity_mode,
            "read_capacity": math.ceil(store.reads_per_second),
            "write_capacity": math.ceil(store.writes_per_second),
            "tables": _feast_tables(plan) if kind == "dynamodb" else [],
            "snapshot_retention": SNAPSHOT_RETENTION_DAYS,
            "engine_version": REDIS_ENGINE,
            "maintenance_window": MAINTENANCE_WINDOW,
            "port": REDIS_PORT,
            "deletion_protection": True,
        }
    clusters = max(store.clusters, 1)
    return common | {
        "clusters": store.clusters,
        "nodes_per_cluster": store.nodes // clusters if kind == "bigtable" else 0,
    }


def _buckets(plan: Plan) -> dict[str, str]:
    name = plan.system.k8s_name
    buckets = {"artifacts": f"{name}-artifacts"}
    location = plan.features.offline_location
    for scheme in ("s3://", "gs://"):
        if location.startswith(scheme):
            buckets["offline-store"] = location.removeprefix(scheme).split("/", 1)[0]
    return buckets


def _workloads(plan: Plan) -> dict[str, dict[str, Any]]:
    """One identity per workload: pipelines write artifacts and features, services only read."""
    name = plan.system.k8s_name
    return {
        "pipelines": {
            "namespace": name,
            "service_account": f"{name}-pipelines",
            "write_buckets": True,
            "write_store": True,
            "secrets": [ONLINE_STORE_SECRET, "registry-credentials"],
        },
        "services": {
            "namespace": name,
            "service_account": f"{name}-services",
            "write_buckets": False,
            "write_store": False,
            "secrets": [ONLINE_STORE_SECRET],
        },
    }


def _platform() -> dict[str, Any]:
    return {
        "zenml_namespace": ZENML["namespace"],
        "zenml_release": ZENML["release"],
        "zenml_port": ZENML["port"],
        "monitoring_namespace": MONITORING["namespace"],
        "monitoring_release": MONITORING["release"],
    }


def cluster_tfvars(plan: Plan) -> dict[str, Any]:
    """Every variable of the cluster root (``infra/``), read off the plan."""
    infra = plan.infrastructure
    name = plan.system.k8s_name
    values: dict[str, Any] = _provenance(plan) | {
        "name": name,
        "region": infra.region,
        "zones": list(infra.zones),
        "kubernetes_version": infra.kubernetes_version,
        "vpc_cidr": VPC_CIDR[infra.cloud],
        "node_pools": node_pools(plan),
        "online_store": online_store(plan),
        "online_store_secret": ONLINE_STORE_SECRET,
        "buckets": _buckets(plan),
        "artifact_bucket_key": "artifacts",
        "noncurrent_version_days": NONCURRENT_VERSION_DAYS,
        "log_retention_days": LOG_RETENTION_DAYS,
        "secret_names": secret_names(plan),
        "workloads": _workloads(plan),
        "ci": {"repository": None, "environments": list(ENVIRONMENTS)},
        "platform": _platform(),
    }
    if infra.cloud == "aws":
        values |= {
            "log_bucket": f"{name}-access-logs",
            "registry_keep_images": REGISTRY_KEEP_IMAGES,
            "secret_recovery_window_days": SECRET_RECOVERY_DAYS,
            "tags": _labels_of(name),
            "autoscaler_service_account": AUTOSCALER,
        }
    else:
        values |= GKE_RANGES | {
            "project_id": None,
            "log_bucket": f"{name}-usage-logs",
            "registry_keep_images": REGISTRY_KEEP_IMAGES,
            "key_rotation_period": KEY_ROTATION,
            "labels": _labels_of(name),
        }
        del values["online_store_secret"]
    return values


def _labels_of(name: str) -> dict[str, str]:
    """Tags (AWS) or labels (Google Cloud) every resource carries."""
    return {"system": name, "managed-by": "terraform", "generator": "mlopsgen"}


def _provenance(plan: Plan) -> dict[str, Any]:
    """Which generator and spec the values come from; the resources carry them as tags."""
    return {
        "generator_version": __version__,
        "system": {"name": plan.system.k8s_name, "spec_sha256": plan.system.spec_sha256},
    }


def platform_tfvars(plan: Plan) -> dict[str, Any]:
    """Every variable of the platform stage (``infra/platform/``)."""
    extra = {"autoscaler_chart_version": AUTOSCALER_CHART_VERSION}
    return (
        _provenance(plan)
        | (extra if plan.infrastructure.cloud == "aws" else {})
        | {
            "cluster_state": {"backend": "local", "config": {"path": "../terraform.tfstate"}},
            "zenml_chart_version": ZENML["chart_version"],
            "monitoring_chart_version": MONITORING_CHART_VERSION,
            "monitoring_rules_dir": "../../monitoring",
        }
    )


def backend_settings(plan: Plan, stage: str) -> list[tuple[str, str | bool]]:
    """Settings of the remote state backend of one root (``infra`` or ``platform``)."""
    name = plan.system.k8s_name
    key = f"{stage}/terraform.tfstate"
    if plan.infrastructure.cloud == "gcp":
        return [("bucket", f"{name}-terraform-state"), ("prefix", stage)]
    return [
        ("bucket", f"{name}-terraform-state"),
        ("key", key),
        ("region", plan.infrastructure.region or ""),
        ("encrypt", True),
        ("use_lockfile", True),
        ("dynamodb_table", f"{name}-terraform-locks"),
    ]
