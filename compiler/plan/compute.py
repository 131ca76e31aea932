# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Node pools: node types chosen by cost for the pods they hold, and node counts.

Pools are split by what they promise: ``system`` (cluster add-ons, one node per zone),
``serving`` (on-demand, sized from the HPA bounds, never below one node per zone), and
``training`` / ``gpu-training`` (scale from zero, spot capacity: runs are retryable). Every
pool's node type is the cheapest that holds its largest pod after the system reserve
(:mod:`mlopsgen.plan.instances`); serving is priced over the day's fleet, training by the
month's runs, each holding the whole nodes its concurrent pods need. A pod no node type
holds is an error (E507).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import batch_nodes, prices, traffic, training_nodes
from mlopsgen.plan.instances import (
    INSTANCE_TABLE_DATE,
    SYSTEM_INSTANCE,
    Choice,
    Instance,
    Pod,
    choose,
    largest,
    node_hours,
    pods_per_node,
)
from mlopsgen.plan.ir.data import ModelPlan, TrainingModelPlan, TrainingPlan
from mlopsgen.plan.ir.ops import ComputePlan, NodePool
from mlopsgen.plan.ir.serving import BatchJobPlan, CapacityPlan, HpaPlan, ReplicaPlan
from mlopsgen.plan.record import Recorder, count, fmt
from mlopsgen.plan.training_size import with_training_resources

COMPUTE_TABLE_DATE = INSTANCE_TABLE_DATE
GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"
HOURS_PER_MONTH = 730
_INFRA = ("infrastructure",)


def _pool(
    name: str,
    role: str,
    node: Instance,
    per_node: int,
    nodes: tuple[int, int, int, float],
    capacity: str,
) -> NodePool:
    low, high, planned, expected = nodes
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
        expected_nodes=round(expected, 4),
        capacity_type=capacity,
        taints=(GPU_TAINT,) if node.gpus else (),
    )


@dataclass(frozen=True)
class ServingLoad:
    """What the serving pool must hold over the day."""

    zones: int
    capacity: CapacityPlan
    hpa: HpaPlan
    replica: ReplicaPlan


def serving_fleet(load: ServingLoad, per_node: int) -> traffic.Fleet:
    """Floor, traffic-weighted and peak nodes of the serving fleet for a node size."""
    cap, hpa = load.capacity, load.hpa
    day = traffic.profile(cap.peak_rps, cap.average_rps)
    return traffic.fleet(
        day,
        cap.per_replica_rps,
        cap.utilisation,
        (load.zones, cap.spare_per_zone),
        (hpa.min_replicas, hpa.max_replicas, cap.replicas),
        per_node,
    )


def _no_fit(rec: Recorder, provider: str, what: str, pod: Pod, gpu_class: str | None) -> None:
    big = largest(provider, pod, gpu_class)
    rec.fail(
        "E507",
        f"no {provider} node type holds {what} ({pod.cpu:g} vCPU, {pod.memory_gib:g} GiB, "
        f"{pod.gpus} GPU); the largest, {big.name}, leaves {big.vcpu - 1} vCPU, "
        f"{big.memory_gib - 2} GiB and {big.gpus} GPU after the system reserve",
        (*_INFRA, "gpu_class") if pod.gpus else ("models",),
        hint="split the work over more, smaller pods (workers, shards), or choose a GPU class "
        "with larger nodes",
    )


def serving_pool(
    rec: Recorder, provider: str, gpu_class: str | None, load: ServingLoad
) -> NodePool | None:
    """The serving pool: the node type whose day's fleet costs least, whole nodes per zone."""
    replica = load.replica
    pod = Pod(replica.cpu, replica.memory_gib, replica.gpu)

    def monthly(node: Instance) -> float:
        fleet = serving_fleet(load, pods_per_node(node, pod))
        return fleet.expected_nodes * prices.node_hourly(provider, node.name) * HOURS_PER_MONTH

    choice = choose(provider, pod, gpu_class, monthly)
    if choice is None:
        _no_fit(rec, provider, "a serving replica", pod, gpu_class)
        return None
    node = choice.node
    per_node = pods_per_node(node, pod)
    fleet = serving_fleet(load, per_node)
    high = traffic.nodes_for(load.hpa.max_replicas, load.zones, per_node)
    role = "gpu-serving" if replica.gpu else "serving"
    _record_choice(rec, role, pod, choice, "the day's fleet at list price")
    _record_profile(rec, load, fleet)
    if replica.gpu:
        _warn_idle_gpus(rec, provider, node, load, fleet.floor_nodes)
    nodes = (fleet.floor_nodes, high, fleet.peak_nodes, fleet.expected_nodes)
    return _pool(role, role, node, per_node, nodes, "on_demand")


def _record_profile(rec: Recorder, load: ServingLoad, fleet: traffic.Fleet) -> None:
    cap = load.capacity
    day = traffic.profile(cap.peak_rps, cap.average_rps)
    if day.exponent == 0:
        shape = "flat (peak ≤ average)"
    elif math.isinf(day.exponent):
        shape = f"one quarter-hour at peak, the rest at {fmt(round(day.trough, 3))} rps"
    else:
        shape = f"k = {fmt(day.exponent)}, trough {fmt(round(day.trough, 3))} rps"
    rec.add(
        "serving.traffic_profile",
        round(fleet.expected_replicas, 2),
        unit="replicas (mean)",
        formula=[
            "λ(t) = trough + A·((1 + cos 2πt/24 h) / 2)^k over 96 quarter-hours, max = peak, "
            "mean = average (k = 1 up to peak = 2 × average, else trough = 0)",
            "fleet(t) = clamp(zones × (ceil(n(t) / (zones − 1)) + spare), HPA min, HPA max)",
        ],
        computed=[
            f"peak {fmt(cap.peak_rps)}, average {fmt(cap.average_rps)} rps → {shape}",
            f"fleet mean {fmt(round(fleet.expected_replicas, 2))} replicas, "
            f"{fmt(fleet.expected_nodes)} nodes (floor {fleet.floor_nodes}, "
            f"peak {fleet.peak_nodes})",
        ],
        inputs={"peak_rps": cap.peak_rps, "average_rps": cap.average_rps},
        sources=[("slo", "throughput")],
        reason="the spec gives a peak and an average, not a curve: a diurnal wave with that "
        "maximum and mean is assumed, and the month is billed over the fleet that follows it",
    )


IDLE_GPU_WARNING = 0.5
"""Share of a GPU serving pool's GPUs idle at the HPA floor above which the plan warns."""


def _warn_idle_gpus(
    rec: Recorder, provider: str, node: Instance, load: ServingLoad, nodes: int
) -> None:
    """W513 when most GPUs of the serving floor sit idle (a class sold only in big nodes)."""
    used = load.hpa.min_replicas * load.replica.gpu
    idle = 1 - used / (nodes * node.gpus)
    if idle < IDLE_GPU_WARNING:
        return
    monthly = nodes * prices.node_hourly(provider, node.name) * HOURS_PER_MONTH
    rec.warn(
        "W513",
        f"{fmt(round(idle * 100, 1))} % of the serving GPUs are idle at the floor: "
        f"{load.hpa.min_replicas} replicas of {load.replica.gpu} GPU on {nodes} × {node.name} "
        f"({node.gpus} GPUs each, ${fmt(round(monthly))}/month at list price)",
        (*_INFRA, "gpu_class"),
        hint=f"{provider} sells {node.gpu_class} only {node.gpus} to a node; a class with "
        "one-GPU nodes (t4, l4) costs a fraction of it at this load",
    )


def _record_choice(rec: Recorder, role: str, pod: Pod, choice: Choice, priced: str) -> None:
    node = choice.node
    rec.add(
        f"compute.{role}.instance_type",
        node.name,
        formula="argmin over node types that hold the pod of monthly cost; ties: least idle "
        "GPUs, then least idle cores; allocatable = node − 1 vCPU − 2 GiB",
        computed=[
            f"pod {fmt(pod.cpu)} vCPU, {fmt(pod.memory_gib)} GiB, {pod.gpus} GPU → {node.name}",
            *choice.summary(),
        ],
        inputs={"cpu": pod.cpu, "memory_gib": pod.memory_gib, "gpus": pod.gpus},
        sources=[(*_INFRA, "cloud"), (*_INFRA, "gpu_class")],
        reason=f"cheapest for {priced} among the types whose allocatable resources hold the pod; "
        "least waste alone could make more load cheaper",
    )


def _training_pods(
    models: tuple[ModelPlan, ...],
    training_workers: dict[str, int],
    batch: BatchJobPlan | None,
    replica: ReplicaPlan,
) -> list[tuple[Pod, int]]:
    """Every pipeline step's pod and how many run at once.

    A pipeline's steps run one after another, so its train shards are the pods that run
    together; every other step must fit a node but adds nothing to the concurrent load. Pods
    of one shape are counted together (in the order first seen), so choosing a node type costs
    one check per shape, not per step of every model.
    """
    shapes: dict[Pod, int] = {}
    for model in models:
        for step in model.steps:
            count = training_workers.get(model.name, 1) if step.name == "train" else 0
            pod = Pod(step.cpu, step.memory_gib, step.gpu)
            shapes[pod] = shapes.get(pod, 0) + count
    if batch is not None:
        pod = Pod(replica.cpu, replica.memory_gib, replica.gpu)
        shapes[pod] = shapes.get(pod, 0) + batch.workers
    return list(shapes.items())


def _whole_nodes(node: Instance, pods: list[tuple[Pod, int]]) -> int:
    """Whole nodes for the concurrent pods: ceil(Σ pods / pods per node), shapes mixed."""
    return max(1, math.ceil(round(sum(n / pods_per_node(node, p) for p, n in pods), 9)))


Run = tuple[Pod, int, float]
"""A job's pod, its concurrent workers and its run-hours per month (waves × hours)."""


def training_run(job: TrainingModelPlan) -> Run:
    """A training job's run: its shards' pod, workers, and waves times hours per shard a month."""
    hours = job.runs_per_month * job.waves * job.hours_per_shard
    return Pod(job.cpu, job.memory_gib, job.gpu), job.concurrent_workers, hours


def batch_run(batch: BatchJobPlan | None, replica: ReplicaPlan) -> Run | None:
    """The batch job's run (its workers are serving replicas), or None without a batch job."""
    if batch is None or batch.expected_minutes is None:
        return None
    pod = Pod(replica.cpu, replica.memory_gib, replica.gpu)
    return pod, batch.workers, batch.runs_per_month * batch.expected_minutes / 60


@dataclass(frozen=True)
class TrainingPools:
    """The scale-from-zero pools and the training jobs as placed on their node types."""

    pools: list[NodePool]
    jobs: tuple[TrainingModelPlan, ...]
    batch: BatchJobPlan | None
    """The batch job with its workers filling the nodes they hold on its pool's node type."""


def training_pools(
    rec: Recorder,
    provider: str,
    gpu_class: str | None,
    models: tuple[ModelPlan, ...],
    training: TrainingPlan,
    served: tuple[BatchJobPlan | None, ReplicaPlan],
) -> TrainingPools:
    """Scale-from-zero pools for training shards and batch jobs, CPU and GPU.

    A pool's node type is the one on which the month's runs cost least, each run holding the
    whole nodes its concurrent pods need (as the cost plan bills them), among the types that
    hold every pod; a pool with no run-hours takes the cheapest node-hour. CPU training jobs
    are priced as placed on each type (:mod:`mlopsgen.plan.training_nodes`): their pods take
    the cores of the nodes they hold, and the batch job's workers fill the nodes they hold
    (:mod:`mlopsgen.plan.batch_nodes`). Pricing the choice as it is billed keeps the bill
    monotone: the minimum over node types of bills that each grow with the data.
    """
    batch, replica = served
    jobs = training.models
    pools = []
    workers = {t.name: t.concurrent_workers for t in jobs if t.trainable}
    all_pods = _training_pods(models, workers, batch, replica)
    batch_gpu = bool(replica.gpu)
    for role, gpu in (("training", False), ("gpu-training", True)):
        pods = [(p, n) for p, n in all_pods if bool(p.gpus) == gpu]
        if not pods:
            continue
        biggest = max(pods, key=lambda pn: (pn[0].gpus, pn[0].cpu, pn[0].memory_gib))[0]
        trained = [training_run(t) for t in jobs if t.trainable and t.gpu] if gpu else []
        on_pool = batch if batch_gpu == gpu else None

        def monthly(
            node: Instance,
            pods: list[tuple[Pod, int]] = pods,
            trained: list[Run] = trained,
            on_pool: BatchJobPlan | None = on_pool,
            gpu: bool = gpu,
        ) -> float:
            if any(pods_per_node(node, p) < 1 for p, _ in pods):
                return math.inf
            filled = None if on_pool is None else batch_nodes.fill_nodes(node, on_pool, replica)
            runs = [*trained, *[r for r in (batch_run(filled, replica),) if r is not None]]
            if gpu:
                held = sum(node_hours(node, p, w, h) for p, w, h in runs)
            else:
                jobs_held = training_nodes.node_hours_month(node, models, training)
                held = jobs_held + sum(node_hours(node, p, w, h) for p, w, h in runs)
            return (held or 1.0) * prices.node_hourly(provider, node.name)

        choice = choose(provider, biggest, gpu_class, monthly)
        if choice is None or math.isinf(choice.alternatives[0][1]):
            _no_fit(rec, provider, f"a {role} pod", biggest, gpu_class)
            continue
        node = choice.node
        _record_choice(
            rec,
            role,
            biggest,
            choice,
            "the month's training and batch runs, each on the whole nodes its concurrent pods "
            "need" + ("" if gpu else ", CPU jobs widened to the cores of those nodes"),
        )
        placed = models
        if not gpu:
            jobs = training_nodes.widen_jobs(rec, node, models, training)
            placed = with_training_resources(models, jobs)
            workers = {t.name: t.concurrent_workers for t in jobs if t.trainable}
        if on_pool is not None:
            batch = batch_nodes.fill_nodes(node, on_pool, replica)
            batch_nodes.record_fill(rec, node, on_pool, batch, replica)
        pods = [
            (p, n)
            for p, n in _training_pods(placed, workers, batch, replica)
            if bool(p.gpus) == gpu
        ]
        high = _whole_nodes(node, pods)
        pools.append(_pool(role, role, node, 0, (0, high, 0, 0.0), "spot"))
    return TrainingPools(pools=pools, jobs=jobs, batch=batch)


def plan_compute(
    rec: Recorder,
    provider: str,
    zones: int,
    pools: list[NodePool],
) -> ComputePlan:
    """The cluster's pools (with a system pool), or the local profile without any."""
    if provider == "local":
        return ComputePlan(profile="local", instance_table_date=COMPUTE_TABLE_DATE, pools=())
    system_node = SYSTEM_INSTANCE[provider]
    system = _pool(
        "system", "system", system_node, 0, (zones, 2 * zones, zones, zones), "on_demand"
    )
    everything = (system, *pools)
    for pool in everything:
        rec.add(
            f"compute.{pool.name}.nodes",
            pool.max_nodes,
            unit="nodes (max)",
            formula=[
                "serving: zones × ceil(pods per zone / pods per node)",
                "training: ceil(Σ concurrent pods / pods per node)",
            ],
            computed=f"{pool.instance_type}: min {pool.min_nodes}, planned {pool.planned_nodes}, "
            f"mean {fmt(pool.expected_nodes)}, max {count(pool.max_nodes, 'nodes')}"
            + (f", {count(pool.pods_per_node, 'pods')} per node" if pool.pods_per_node else ""),
            inputs={"zones": zones, "instance": pool.instance_type},
            sources=[(*_INFRA, "cloud"), (*_INFRA, "gpu_class")],
            reason=_pool_reason(pool),
        )
    return ComputePlan(profile="cloud", instance_table_date=COMPUTE_TABLE_DATE, pools=everything)


def _pool_reason(pool: NodePool) -> str:
    if pool.role == "system":
        return "one node per zone for cluster add-ons, kept apart from serving"
    if pool.role.endswith("serving"):
        never = "; never zero: a cold GPU node breaks the latency SLO" if pool.gpus else ""
        return (
            "whole nodes per zone for the HPA's floor and ceiling, on demand; planned = the "
            "peak fleet, mean = the fleet over the day's traffic" + never
        )
    return "scales from zero for training and batch runs; spot capacity, since runs retry"
