# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Node pools: instance types per cloud from a dated table (2026-11), and node counts.

Pools are split by what they promise: ``system`` (cluster add-ons, one node per zone),
``serving`` (on-demand, sized from the HPA bounds, never below one node per zone), and
``training`` / ``gpu-training`` (scale from zero, spot capacity: runs are retryable). The
serving instance family is the cheapest whose memory per core fits the replica: compute
optimised (2 GiB/vCPU on AWS, 1 on GCP), general purpose (4), then memory optimised (8).
Each node keeps 1 vCPU and 2 GiB for the kubelet, the OS and daemon sets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import cloud
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.ops import ComputePlan, NodePool
from mlopsgen.plan.ir.serving import BatchJobPlan, HpaPlan, ReplicaPlan
from mlopsgen.plan.record import Recorder

COMPUTE_TABLE_DATE = "2026-11"
RESERVED_VCPU = 1
RESERVED_GIB = 2
GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"


@dataclass(frozen=True)
class Instance:
    """A machine type: cores, memory and GPUs."""

    name: str
    vcpu: int
    memory_gib: int
    gpus: int = 0
    gpu_class: str | None = None


CPU_FAMILIES: dict[str, dict[str, Instance]] = {
    "aws": {
        "compute": Instance("c7i.4xlarge", 16, 32),
        "general": Instance("m7i.4xlarge", 16, 64),
        "memory": Instance("r7i.4xlarge", 16, 128),
        "system": Instance("m7i.xlarge", 4, 16),
    },
    "gcp": {
        "compute": Instance("n2-highcpu-16", 16, 16),
        "general": Instance("n2-standard-16", 16, 64),
        "memory": Instance("n2-highmem-16", 16, 128),
        "system": Instance("n2-standard-4", 4, 16),
    },
}
GPU_INSTANCES: dict[str, dict[str, Instance]] = {
    "aws": {
        "t4": Instance("g4dn.xlarge", 4, 16, 1, "t4"),
        "l4": Instance("g6.xlarge", 4, 16, 1, "l4"),
        "a10g": Instance("g5.xlarge", 4, 16, 1, "a10g"),
        "a100": Instance("p4d.24xlarge", 96, 1152, 8, "a100"),
        "h100": Instance("p5.48xlarge", 192, 2048, 8, "h100"),
    },
    "gcp": {
        "t4": Instance("n1-standard-8", 8, 30, 1, "t4"),
        "l4": Instance("g2-standard-8", 8, 32, 1, "l4"),
        "a100": Instance("a2-highgpu-1g", 12, 85, 1, "a100"),
        "h100": Instance("a3-highgpu-1g", 26, 234, 1, "h100"),
    },
}
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


def gpu_instance(provider: str, gpu_class: str) -> tuple[Instance, str]:
    """The GPU node type for a class; a class the cloud lacks falls back to its L4 node."""
    table = GPU_INSTANCES[provider]
    if gpu_class in table:
        return table[gpu_class], gpu_class
    return table["l4"], "l4"


def pods_per_node(node: Instance, cpu: float, memory_gib: float, gpus: int = 0) -> int:
    """How many pods of a size fit one node after the system reservation."""
    fits = [
        math.floor((node.vcpu - RESERVED_VCPU) / cpu),
        math.floor((node.memory_gib - RESERVED_GIB) / memory_gib),
    ]
    if gpus:
        fits.append(node.gpus // gpus)
    return max(0, min(fits))


def cpu_family(provider: str, cpu: float, memory_gib: float) -> Instance:
    """Cheapest family whose memory fits as many pods as its cores do."""
    families = CPU_FAMILIES[provider]
    for family in ("compute", "general", "memory"):
        node = families[family]
        by_cpu = math.floor((node.vcpu - RESERVED_VCPU) / cpu)
        if pods_per_node(node, cpu, memory_gib) >= max(by_cpu, 1):
            return node
    return families["memory"]


def redis_nodes(provider: str, kind: str, memory_gb: float) -> tuple[str | None, float | None, int]:
    """Node type, its memory and shard count for a managed Redis of ``memory_gb``.

    Nothing is provisioned locally, for other store kinds, or when the store would be empty
    (no online view and no cache): an idle cluster is cost without purpose.
    """
    if provider == "local" or kind != "redis" or memory_gb <= 0:
        return None, None, 0
    nodes = REDIS_NODES[provider]
    largest = nodes[-1][1]
    shards = max(1, math.ceil(memory_gb / largest))
    per_shard = memory_gb / shards
    name, size = next(n for n in nodes if n[1] >= per_shard)
    return name, size, shards


def online_store_service(provider: str, kind: str) -> str:
    """The managed service (or local substitute) holding the online store."""
    if provider == "local":
        return "sqlite"
    return cloud.ONLINE_STORE_SERVICE[provider] if kind == "redis" else kind


def _pool(
    name: str,
    role: str,
    node: Instance,
    per_node: int,
    nodes: tuple[int, int, int],
    capacity: str,
) -> NodePool:
    low, high, planned = nodes
    return NodePool(
        name=name,
        role=role,
        instance_type=node.name,
        vcpu=node.vcpu,
        memory_gib=node.memory_gib,
        gpus=node.gpus,
        gpu_class=node.gpu_class,
        pods_per_node=per_node,
        min_nodes=low,
        max_nodes=high,
        planned_nodes=planned,
        capacity_type=capacity,
        taints=(GPU_TAINT,) if node.gpus else (),
    )


def serving_pool(
    provider: str, gpu_class: str | None, zones: int, replica: ReplicaPlan, hpa: HpaPlan | None
) -> NodePool:
    """The serving pool: whole nodes per zone for the HPA floor and ceiling."""
    if replica.gpu:
        node, _ = gpu_instance(provider, gpu_class or "t4")
    else:
        node = cpu_family(provider, replica.cpu, replica.memory_gib)
    per_node = max(1, pods_per_node(node, replica.cpu, replica.memory_gib, replica.gpu))
    low_pods = hpa.min_replicas if hpa else 1
    high_pods = hpa.max_replicas if hpa else 1
    low = zones * math.ceil(low_pods / zones / per_node)
    high = zones * math.ceil(high_pods / zones / per_node)
    role = "gpu-serving" if replica.gpu else "serving"
    return _pool(role, role, node, per_node, (low, high, low), "on_demand")


def training_pools(
    provider: str,
    gpu_class: str | None,
    models: tuple[ModelPlan, ...],
    training_workers: dict[str, int],
    batch: BatchJobPlan | None,
    replica: ReplicaPlan,
) -> list[NodePool]:
    """Scale-from-zero pools for training shards and batch jobs, CPU and GPU."""
    cpu_needed = 0.0
    gpus_needed = 0
    for model in models:
        train = next((s for s in model.steps if s.name == "train"), None)
        workers = training_workers.get(model.name, 1)
        if train is None:
            continue
        if train.gpu:
            gpus_needed += train.gpu * workers
        else:
            cpu_needed += train.cpu * workers
    if batch is not None:
        if replica.gpu:
            gpus_needed += replica.gpu * batch.workers
        else:
            cpu_needed += replica.cpu * batch.workers
    pools = []
    if cpu_needed:
        node = CPU_FAMILIES[provider]["general"]
        high = math.ceil(cpu_needed / (node.vcpu - RESERVED_VCPU))
        pools.append(_pool("training", "training", node, 0, (0, high, 0), "spot"))
    if gpus_needed:
        node, _ = gpu_instance(provider, gpu_class or "t4")
        high = math.ceil(gpus_needed / node.gpus)
        pools.append(_pool("gpu-training", "gpu-training", node, 0, (0, high, 0), "spot"))
    return pools


def plan_compute(
    rec: Recorder,
    provider: str,
    zones: int,
    pools: list[NodePool],
) -> ComputePlan:
    """The cluster's pools (with a system pool), or the local profile without any."""
    if provider == "local":
        return ComputePlan(profile="local", instance_table_date=COMPUTE_TABLE_DATE, pools=())
    system_node = CPU_FAMILIES[provider]["system"]
    system = _pool("system", "system", system_node, 0, (zones, 2 * zones, zones), "on_demand")
    everything = (system, *pools)
    for pool in everything:
        rec.add(
            f"compute.{pool.name}.nodes",
            pool.max_nodes,
            unit="nodes (max)",
            formula="zones × ceil(pods per zone / pods per node) (serving); "
            "ceil(Σ concurrent requests / node capacity) (training)",
            computed=f"{pool.instance_type}: min {pool.min_nodes}, max {pool.max_nodes}, "
            f"{pool.pods_per_node or '-'} pods/node",
            inputs={"zones": zones, "instance": pool.instance_type},
            sources=[("infrastructure", "cloud"), ("infrastructure", "gpu_class")],
            reason=_pool_reason(pool),
        )
    return ComputePlan(profile="cloud", instance_table_date=COMPUTE_TABLE_DATE, pools=everything)


def _pool_reason(pool: NodePool) -> str:
    if pool.role == "system":
        return "one node per zone for cluster add-ons, kept apart from serving"
    if pool.role.endswith("serving"):
        never = "; never zero: a cold GPU node breaks the latency SLO" if pool.gpus else ""
        return "whole nodes per zone for the HPA's floor and ceiling, on demand" + never
    return "scales from zero for training and batch runs; spot capacity, since runs retry"
