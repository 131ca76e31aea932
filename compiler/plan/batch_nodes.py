# Formulas and reasons are written in mathematical notation (×, ÷) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""The batch job's workers as placed on the pool's node type: they fill the nodes they hold.

The batch job's pods are shaped like a serving replica and run on the scale-from-zero training
pool, which bills whole nodes while a run holds them. Sized alone (the fewest workers that
finish in half the window), one more row can add a worker to a node the run already pays
for, shortening the run and lowering the bill: a sawtooth. Once the node type is known, the
job takes every pod slot of the nodes its sized workers need, ``ceil(workers / pods per
node) × pods per node`` workers. A run then holds ``nodes × rows ÷ (nodes × pods per node ×
rate)`` node-hours, which is ``rows ÷ (pods per node × rate)``: a bill that grows with the
rows on every node type, so the cheapest type's bill does too.
"""

from __future__ import annotations

import dataclasses
import math

from mlopsgen.plan.instances import Instance, Pod, pods_per_node
from mlopsgen.plan.ir.serving import BatchJobPlan, ReplicaPlan
from mlopsgen.plan.record import Recorder, clean, count, fmt

__all__ = ["fill_nodes", "record_fill"]


def fill_nodes(node: Instance, batch: BatchJobPlan, replica: ReplicaPlan) -> BatchJobPlan:
    """``batch`` with as many workers as the nodes its sized workers hold can run, and the run
    time those workers take (unchanged when the run's rows are unknown or no pod fits)."""
    per_node = pods_per_node(node, Pod(replica.cpu, replica.memory_gib, replica.gpu))
    if batch.rows_per_run is None or per_node < 1:
        return batch
    workers = math.ceil(batch.workers / per_node) * per_node
    rate = batch.rows_per_second_per_worker
    minutes = clean(batch.rows_per_run / (workers * rate) / 60)
    return dataclasses.replace(batch, workers=workers, expected_minutes=minutes)


def record_fill(
    rec: Recorder, node: Instance, sized: BatchJobPlan, filled: BatchJobPlan, replica: ReplicaPlan
) -> None:
    """Record how the sized workers became the filled ones, with the numbers."""
    if sized.rows_per_run is None:
        return
    per_node = pods_per_node(node, Pod(replica.cpu, replica.memory_gib, replica.gpu))
    nodes = math.ceil(sized.workers / per_node) if per_node >= 1 else 0
    rec.add(
        "serving.batch.placement",
        filled.workers,
        unit="workers",
        formula=[
            "workers = ceil(sized workers / pods per node) × pods per node",
            "run minutes = rows_per_run / (workers × rows_per_s_per_worker) / 60",
        ],
        computed=[
            f"ceil({sized.workers} / {per_node}) × {per_node} = {nodes} × {per_node} "
            f"= {count(filled.workers, 'workers')} on {node.name}",
            f"{sized.rows_per_run} / ({filled.workers} × {fmt(filled.rows_per_second_per_worker)})"
            f" / 60 = {fmt(filled.expected_minutes)} min (sized: {fmt(sized.expected_minutes)})",
        ],
        inputs={
            "sized_workers": sized.workers,
            "pods_per_node": per_node,
            "node": node.name,
            "rows_per_run": sized.rows_per_run,
        },
        sources=[("serving", "batch")],
        reason="the batch pool scales from zero and bills whole nodes, so the job fills the "
        "nodes it holds: a shorter run for the same nodes, and a bill that never falls when "
        "the rows grow (the fewest workers would make it a sawtooth)",
    )
