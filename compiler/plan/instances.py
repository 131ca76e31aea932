# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Node types per cloud (a dated table, 2026-11) and the choice of one for a pod.

A node type is chosen by cost among those whose allocatable resources hold the pod: the
node's cores, memory and GPUs minus a stated system reserve (1 vCPU and 2 GiB for the
kubelet, the OS and daemon sets). Least waste alone can make more load cheaper (a big node
half empty beats two small full ones on waste, not on price), so waste only breaks ties:
idle GPUs first, then idle cores. A pod that no node type holds is reported, never placed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mlopsgen.plan import prices

INSTANCE_TABLE_DATE = "2026-11"
RESERVED_VCPU = 1
RESERVED_GIB = 2


@dataclass(frozen=True)
class Instance:
    """A machine type: cores, memory and GPUs."""

    name: str
    vcpu: int
    memory_gib: int
    gpus: int = 0
    gpu_class: str | None = None


@dataclass(frozen=True)
class Pod:
    """What one pod requests."""

    cpu: float
    memory_gib: float
    gpus: int = 0


#: CPU node types, cheapest memory per core first within each size.
CPU_INSTANCES: dict[str, tuple[Instance, ...]] = {
    "aws": (
        Instance("c7i.4xlarge", 16, 32),
        Instance("m7i.4xlarge", 16, 64),
        Instance("r7i.4xlarge", 16, 128),
        Instance("c7i.8xlarge", 32, 64),
        Instance("m7i.8xlarge", 32, 128),
        Instance("r7i.8xlarge", 32, 256),
        Instance("m7i.16xlarge", 64, 256),
        Instance("r7i.16xlarge", 64, 512),
    ),
    "gcp": (
        Instance("n2-highcpu-16", 16, 16),
        Instance("n2-standard-16", 16, 64),
        Instance("n2-highmem-16", 16, 128),
        Instance("n2-highcpu-32", 32, 32),
        Instance("n2-standard-32", 32, 128),
        Instance("n2-highmem-32", 32, 256),
        Instance("n2-standard-64", 64, 256),
        Instance("n2-highmem-64", 64, 512),
    ),
}
SYSTEM_INSTANCE = {"aws": Instance("m7i.xlarge", 4, 16), "gcp": Instance("n2-standard-4", 4, 16)}

#: GPU node types per class, fewest GPUs first. AWS sells A100s only eight to a node.
GPU_INSTANCES: dict[str, dict[str, tuple[Instance, ...]]] = {
    "aws": {
        "t4": (
            Instance("g4dn.xlarge", 4, 16, 1, "t4"),
            Instance("g4dn.2xlarge", 8, 32, 1, "t4"),
            Instance("g4dn.12xlarge", 48, 192, 4, "t4"),
            Instance("g4dn.metal", 96, 384, 8, "t4"),
        ),
        "l4": (
            Instance("g6.xlarge", 4, 16, 1, "l4"),
            Instance("g6.2xlarge", 8, 32, 1, "l4"),
            Instance("g6.12xlarge", 48, 192, 4, "l4"),
            Instance("g6.48xlarge", 192, 768, 8, "l4"),
        ),
        "a10g": (
            Instance("g5.xlarge", 4, 16, 1, "a10g"),
            Instance("g5.2xlarge", 8, 32, 1, "a10g"),
            Instance("g5.12xlarge", 48, 192, 4, "a10g"),
            Instance("g5.48xlarge", 192, 768, 8, "a10g"),
        ),
        "a100": (Instance("p4d.24xlarge", 96, 1152, 8, "a100"),),
        "h100": (
            Instance("p5.4xlarge", 16, 256, 1, "h100"),
            Instance("p5.48xlarge", 192, 2048, 8, "h100"),
        ),
    },
    "gcp": {
        "t4": (
            Instance("n1-standard-8", 8, 30, 1, "t4"),
            Instance("n1-standard-16", 16, 60, 2, "t4"),
            Instance("n1-standard-32", 32, 120, 4, "t4"),
        ),
        "l4": (
            Instance("g2-standard-8", 8, 32, 1, "l4"),
            Instance("g2-standard-24", 24, 96, 2, "l4"),
            Instance("g2-standard-48", 48, 192, 4, "l4"),
            Instance("g2-standard-96", 96, 384, 8, "l4"),
        ),
        "a100": (
            Instance("a2-highgpu-1g", 12, 85, 1, "a100"),
            Instance("a2-highgpu-2g", 24, 170, 2, "a100"),
            Instance("a2-highgpu-4g", 48, 340, 4, "a100"),
            Instance("a2-highgpu-8g", 96, 680, 8, "a100"),
        ),
        "h100": (
            Instance("a3-highgpu-1g", 26, 234, 1, "h100"),
            Instance("a3-highgpu-2g", 52, 468, 2, "h100"),
            Instance("a3-highgpu-4g", 104, 936, 4, "h100"),
            Instance("a3-highgpu-8g", 208, 1872, 8, "h100"),
        ),
    },
}


def gpu_class_for(provider: str, gpu_class: str) -> str:
    """The class itself when the cloud has it, else L4 (reported by the caller)."""
    return gpu_class if gpu_class in GPU_INSTANCES[provider] else "l4"


def candidates(provider: str, pod: Pod, gpu_class: str | None) -> tuple[Instance, ...]:
    """The node types a pod could run on: its GPU class's, or the CPU types."""
    if pod.gpus:
        return GPU_INSTANCES[provider][gpu_class_for(provider, gpu_class or "t4")]
    return CPU_INSTANCES[provider]


def allocatable(node: Instance) -> tuple[float, float, int]:
    """Cores, memory and GPUs left for pods after the system reserve."""
    return node.vcpu - RESERVED_VCPU, node.memory_gib - RESERVED_GIB, node.gpus


def pods_per_node(node: Instance, pod: Pod) -> int:
    """How many pods of a size fit one node's allocatable resources (0: it does not fit)."""
    cpu, memory, gpus = allocatable(node)
    fits = [math.floor(round(cpu / pod.cpu, 9)), math.floor(round(memory / pod.memory_gib, 9))]
    if pod.gpus:
        fits.append(gpus // pod.gpus)
    return max(0, min(fits))


def node_hours(node: Instance, pod: Pod, workers: int, hours: float) -> float:
    """Node-hours a job holds: ``ceil(workers / pods per node)`` whole nodes for ``hours``.

    Training and batch pools scale from zero, so a run pays for the whole nodes its concurrent
    pods need while it runs, not for a share of a node someone else might fill; the same
    figure prices a node type when one is chosen and bills the month once it is.
    """
    per_node = pods_per_node(node, pod)
    if per_node < 1:
        return math.inf
    return math.ceil(workers / per_node) * hours


def fits(node: Instance, pod: Pod) -> bool:
    """Whether one pod fits the node's allocatable resources (CPU, memory and GPUs)."""
    return pods_per_node(node, pod) >= 1


def waste(node: Instance, pod: Pod) -> tuple[float, float]:
    """Idle GPU and idle core fractions of a node filled with as many pods as fit."""
    per_node = pods_per_node(node, pod)
    gpu_idle = 1 - per_node * pod.gpus / node.gpus if node.gpus else 0.0
    return round(gpu_idle, 9), round(1 - per_node * pod.cpu / node.vcpu, 9)


@dataclass(frozen=True)
class Choice:
    """The chosen node type and every type that held the pod, with its cost."""

    node: Instance
    alternatives: tuple[tuple[Instance, float], ...]

    def summary(self) -> list[str]:
        """'type $cost/month' for each candidate, cheapest first: the decision's computation."""
        return [f"{n.name} ${c:,.0f}/month" for n, c in self.alternatives]


def choose(
    provider: str, pod: Pod, gpu_class: str | None, cost: Callable[[Instance], float]
) -> Choice | None:
    """The cheapest node type that holds ``pod`` (waste breaks ties); None if none does."""
    scored = [
        (node, cost(node))
        for node in candidates(provider, pod, gpu_class)
        if fits(node, pod) and node.name in prices.NODE_HOURLY[provider]
    ]
    if not scored:
        return None
    scored.sort(key=lambda nc: (round(nc[1], 6), waste(nc[0], pod), nc[0].name))
    return Choice(node=scored[0][0], alternatives=tuple(scored))


def largest(provider: str, pod: Pod, gpu_class: str | None) -> Instance:
    """The largest candidate node type: where a pod that fits nowhere is reported against."""
    return max(candidates(provider, pod, gpu_class), key=lambda n: (n.gpus, n.vcpu, n.memory_gib))
