# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""CPU training jobs widened to the whole nodes they hold on the training pool's node type.

The training pool scales from zero and bills whole nodes: a job alone on a node pays for
all its cores whatever its pods request. Sizing a job to the fewest vCPUs that meet its
window (:mod:`mlopsgen.plan.training_size`) would then make its hours a sawtooth in its
data (more rows, one more vCPU, fewer hours) and the bill with them. So once a node type is
considered, each CPU job is *placed*: its concurrent pods share ``n`` whole nodes evenly,
``k = ceil(workers / n)`` to a node, and each pod requests ``allocatable vCPU / k`` up to
the 15 vCPU of one 16-vCPU node (never less than its sized floor, its memory as sized); its
hours follow from those cores. Of the placements the node type allows, the one holding the
fewest node-hours a month is taken.

The cap keeps a pod's cores independent of which node type wins: a job alone on a node
gets 15 vCPU on every type, so its vCPU-hours (rows × features / throughput + 15 vCPU ×
start-up) grow with its data even when more memory moves the pool to another type, and it
runs exactly as fast as the bound W521 and its ``max_rows`` hint assume. A larger node then
holds several such pods, and the node type's price says whether that is worth it.
For a fixed node type each placement's node-hours grow with the data and the placements
allowed only shrink, so their minimum grows too; the pool's type is the minimum of those
over node types (:func:`mlopsgen.plan.compute.training_pools`), so the month's bill never
falls when the data grows. GPU jobs keep their sizing: their hours do not depend on cores.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from mlopsgen.plan.instances import Instance, Pod, allocatable, pods_per_node
from mlopsgen.plan.ir.data import ModelPlan, TrainingModelPlan, TrainingPlan
from mlopsgen.plan.record import Recorder, clean, count, fmt
from mlopsgen.plan.training import repace
from mlopsgen.plan.training_size import MAX_TRAIN_VCPU, START_UP_HOURS, throughput


@dataclass(frozen=True)
class Placement:
    """One way to run a job's concurrent pods on whole nodes of one type."""

    nodes: int
    """Nodes one wave holds."""
    pods_per_node: int
    cpu: float
    """vCPU each pod requests: the node's allocatable cores shared by its pods."""
    hours: float
    """Hours per shard on those cores, start-up included."""
    runs_per_month: float
    node_hours_month: float
    """Node-hours the job holds a month: runs × waves × nodes × hours."""


def work_vcpu_seconds(model: ModelPlan, job: TrainingModelPlan) -> float:
    """vCPU-seconds one shard's training takes: rows × features / throughput per vCPU."""
    thr = throughput(model)
    return job.rows_per_shard * job.features / thr if thr else 0.0


def placements(
    node: Instance,
    job: TrainingModelPlan,
    work: float,
    runs: Callable[[float], float],
) -> list[Placement]:
    """Every even sharing of whole nodes of ``node`` by the job's concurrent pods.

    ``k`` pods to a node, from one up to as many sized pods as the node holds; ``n =
    ceil(workers / k)`` nodes, and ``k`` is the fewest pods to a node that fill ``n`` nodes
    (a larger ``k`` for the same ``n`` would only give each pod fewer cores). Each pod
    requests the node's allocatable cores over ``k`` (in whole millicores, at most
    ``MAX_TRAIN_VCPU``, at least its sized vCPU); ``runs`` gives
    the runs a month of a job taking so many hours (its cooldown may pace it).
    """
    floor = Pod(job.cpu, job.memory_gib)
    most = pods_per_node(node, floor)
    workers = job.concurrent_workers
    cores, _, _ = allocatable(node)
    out = []
    for k in range(1, min(most, workers) + 1):
        nodes = math.ceil(workers / k)
        if math.ceil(workers / nodes) != k:
            continue
        share = min(float(MAX_TRAIN_VCPU), math.floor(cores * 1000 / k) / 1000)
        cpu = max(job.cpu, share)
        hours = clean(work / cpu / 3600 + START_UP_HOURS, 4)
        monthly = runs(hours)
        out.append(
            Placement(
                nodes=nodes,
                pods_per_node=k,
                cpu=cpu,
                hours=hours,
                runs_per_month=monthly,
                node_hours_month=monthly * job.waves * nodes * hours,
            )
        )
    return out


@dataclass(frozen=True)
class Placed:
    """One CPU job on one node type: the cheapest placement (None: no pod fits) and all."""

    job: TrainingModelPlan
    work: float
    chosen: Placement | None
    options: list[Placement]


def place_jobs(
    node: Instance, models: tuple[ModelPlan, ...], training: TrainingPlan
) -> list[Placed]:
    """Every trainable CPU job placed on whole nodes of ``node``, in the plan's order."""
    by_name = {m.name: m for m in models}
    out = []
    for job in training.models:
        if not job.trainable or job.gpu:
            continue
        model = by_name[job.name]
        work = work_vcpu_seconds(model, job)

        def runs(hours: float, model: ModelPlan = model) -> float:
            return repace(training, model, hours)

        options = placements(node, job, work, runs)
        out.append(Placed(job=job, work=work, chosen=best(options), options=options))
    return out


def best(options: list[Placement]) -> Placement | None:
    """The placement holding the fewest node-hours a month; ties: the faster, then fewer nodes."""
    if not options:
        return None
    return min(options, key=lambda p: (round(p.node_hours_month, 9), p.hours, p.nodes))


def widen(job: TrainingModelPlan, placement: Placement) -> TrainingModelPlan:
    """The job as its pods run on the chosen nodes: their cores, hours and runs."""
    return dataclasses.replace(
        job,
        cpu=placement.cpu,
        hours_per_shard=placement.hours,
        runs_per_month=placement.runs_per_month,
    )


def record_placement(
    rec: Recorder,
    node: Instance,
    job: TrainingModelPlan,
    work: float,
    chosen: Placement,
    options: list[Placement],
) -> None:
    """The widening decision: the sized floor, the node's cores shared, the hours that follow."""
    cores, _, _ = allocatable(node)
    rec.add(
        f"training.{job.name}.placement",
        f"{fmt(chosen.cpu)} vCPU × {count(chosen.pods_per_node, 'pods')} per node on "
        f"{count(chosen.nodes, 'nodes')}, {fmt(chosen.hours * 60)} min",
        formula=[
            "k pods per node (1 ≤ k ≤ sized pods per node), n = ceil(workers / k) nodes",
            f"vCPU = max(sized vCPU, min({MAX_TRAIN_VCPU}, allocatable vCPU / k)); "
            f"allocatable = {node.name} − 1 vCPU",
            "hours = rows × features / (throughput × vCPU) + 5 min start-up",
            "argmin over k of runs × waves × n × hours (ties: faster, then fewer nodes)",
        ],
        computed=[
            f"sized floor {fmt(job.cpu)} vCPU, {fmt(job.memory_gib)} GiB, "
            f"{count(job.concurrent_workers, 'workers')}, "
            f"{fmt(work / 3600)} vCPU-hours of work per shard",
            *(
                f"k {p.pods_per_node}: {count(p.nodes, 'nodes')}, min({MAX_TRAIN_VCPU}, "
                f"{fmt(cores)}/{p.pods_per_node}) = {fmt(p.cpu)} vCPU, {fmt(p.hours * 60)} min, "
                f"{fmt(round(p.node_hours_month, 2))} node-hours/month"
                for p in options
            ),
        ],
        inputs={
            "instance": node.name,
            "sized_cpu": job.cpu,
            "concurrent_workers": job.concurrent_workers,
            "waves": job.waves,
        },
        sources=[("models",), ("training", "parallelism"), ("infrastructure", "cloud")],
        reason="the training pool scales from zero and bills whole nodes, so a job's pods take "
        "the cores of the nodes they hold (up to one 16-vCPU node's, the most a job is sized "
        "for): fewer hours for the same bill, and a bill that never falls when the data grows "
        "(the fewest vCPUs would make it a sawtooth)",
    )


def node_hours_month(
    node: Instance, models: tuple[ModelPlan, ...], training: TrainingPlan
) -> float:
    """Node-hours a month the CPU jobs hold on ``node``, each at its cheapest placement
    (infinite when a job's pod fits no node of the type)."""
    placed = place_jobs(node, models, training)
    if any(p.chosen is None for p in placed):
        return math.inf
    return sum(p.chosen.node_hours_month for p in placed if p.chosen is not None)


def widen_jobs(
    rec: Recorder, node: Instance, models: tuple[ModelPlan, ...], training: TrainingPlan
) -> tuple[TrainingModelPlan, ...]:
    """The training jobs with every CPU job widened to its placement on ``node`` (recorded)."""
    placed = {p.job.name: p for p in place_jobs(node, models, training)}
    out = []
    for job in training.models:
        spot = placed.get(job.name)
        if spot is None or spot.chosen is None:
            out.append(job)
            continue
        record_placement(rec, node, job, spot.work, spot.chosen, spot.options)
        out.append(widen(job, spot.chosen))
    return tuple(out)
