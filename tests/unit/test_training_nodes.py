"""CPU training jobs placed on whole nodes: billed as they run, and never cheaper with more work.

The property is checked on the building block for one node type (the pool's choice is a
minimum over types of it): more vCPU-seconds of work never give a placement holding fewer
node-hours, and the placement's pods take as many whole nodes as the bill counts for them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsgen.plan.instances import CPU_INSTANCES, Instance, Pod, node_hours
from mlopsgen.plan.ir.data import TrainingModelPlan
from mlopsgen.plan.training_nodes import Placement, best, placements

UNIT = settings(max_examples=300, deadline=None)
NODES = st.sampled_from(CPU_INSTANCES["aws"] + CPU_INSTANCES["gcp"])


def _job(cpu: float, memory: float, workers: int) -> TrainingModelPlan:
    return TrainingModelPlan(
        name="m",
        trainable=True,
        cron="0 2 * * *",
        shards=workers * 2,
        concurrent_workers=workers,
        waves=2,
        runs_per_month=30.0,
        hours_per_shard=1.0,
        rows_per_shard=1000,
        features=4,
        window_minutes=1440.0,
        cpu=cpu,
        memory_gib=memory,
        gpu=0,
        fits_window=True,
    )


def _best(node: Instance, job: TrainingModelPlan, work: float) -> Placement:
    chosen = best(placements(node, job, work, lambda _hours: 30.0))
    assert chosen is not None
    return chosen


def test_a_job_alone_takes_one_sixteen_vcpu_nodes_cores() -> None:
    # 2 vCPU sized, 1 worker: on c7i.4xlarge (15 allocatable) it takes all 15 cores;
    # 54,000 vCPU-s of work → 3600 s = 1 h + 5 min start-up = 1.083 h
    node = CPU_INSTANCES["aws"][0]
    chosen = _best(node, _job(2, 4, 1), 54_000)
    assert (chosen.nodes, chosen.pods_per_node, chosen.cpu) == (1, 1, 15)
    assert chosen.hours == 1.083
    # on a 32-vCPU node it still gets 15 (two such pods fit a node): the cap
    assert _best(CPU_INSTANCES["aws"][3], _job(2, 4, 1), 54_000).cpu == 15


def test_sharded_pods_share_the_nodes_they_hold_evenly() -> None:
    # 32 workers of 2 vCPU / 4 GiB: 7 fit a c7i.4xlarge → 5 nodes, ceil(32 / 5) = 7 a node,
    # each 15 / 7 = 2.142 vCPU; few vCPU-seconds, so the fewest nodes (least start-up) win
    node = CPU_INSTANCES["aws"][0]
    chosen = _best(node, _job(2, 4, 32), 60)
    assert (chosen.nodes, chosen.pods_per_node, chosen.cpu) == (5, 7, 2.142)


@UNIT
@given(
    NODES,
    st.floats(min_value=0.25, max_value=15),
    st.floats(min_value=1, max_value=126),
    st.integers(1, 200),
    st.floats(min_value=0, max_value=1e8),
    st.floats(min_value=0, max_value=1e8),
)
def test_more_work_never_fewer_node_hours(
    node: Instance, cpu: float, memory: float, workers: int, a: float, b: float
) -> None:
    job = _job(round(cpu, 3), round(memory), workers)
    options = placements(node, job, 0.0, lambda _hours: 30.0)
    if not options:
        return  # the sized pod fits no node of this type: the pool's choice skips it
    low, high = sorted((a, b))
    small, large = _best(node, job, low), _best(node, job, high)
    assert small.node_hours_month <= large.node_hours_month * (1 + 1e-9)
    for chosen in (small, large):
        assert chosen.cpu >= job.cpu
        pod = Pod(chosen.cpu, job.memory_gib)
        # the cost plan bills the widened pod as ceil(workers / pods per node) whole nodes
        assert node_hours(node, pod, workers, chosen.hours) == chosen.nodes * chosen.hours
