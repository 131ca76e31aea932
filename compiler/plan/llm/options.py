# Formulas are written in mathematical notation (×, −, ⌈⌉) on purpose.
# ruff: noqa: RUF002, RUF003
"""Every (GPU class, tensor-parallel degree) option for a language model, and the choice.

Within a class the option with the fewest GPUs wins (cost breaks ties): fewer, larger groups
often beat many one-GPU groups because the weights are read once per step for more sequences.
Across classes the cheapest per million generated tokens wins among the options that meet
the token SLOs; the alternatives stay in the plan with their price or why they were rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import instances, prices
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.llm import model
from mlopsgen.plan.llm.hardware import GPUS, Gpu
from mlopsgen.plan.llm.model import Slo, Timing, Workload

HOST_MEMORY_HEADROOM_GIB = 4
"""Host memory per pod beyond the weights it stages on their way to the GPUs."""
CPU_PER_GPU = 2
"""Cores per GPU for the engine's scheduler, tokenizer and HTTP server."""


@dataclass(frozen=True)
class Option:
    """One class at one degree: its batch, timing, GPU count and price (or why not)."""

    gpu: Gpu
    tp: int
    batch: int = 0
    memory_sequences: int = 0
    timing: Timing | None = None
    concurrent: float = 0.0
    groups: int = 0
    node: instances.Instance | None = None
    usd_per_group_hour: float | None = None
    rejected: str | None = None

    @property
    def gpus(self) -> int:
        """Groups × tensor-parallel degree."""
        return self.groups * self.tp

    def usd_per_million_tokens(self, w: Workload) -> float | None:
        """Group-hours at peak over the tokens they produce: (groups × $/h) / tokens per hour."""
        if self.usd_per_group_hour is None or self.rejected:
            return None
        tokens = (w.output_p50 if w.generative else w.prompt_p50) * w.peak_rps * 3600
        return self.groups * self.usd_per_group_hour / tokens * 1e6

    def usd_per_thousand_requests(self, w: Workload) -> float | None:
        """(groups × $/h) / (peak rps × 3600) × 1000."""
        if self.usd_per_group_hour is None or self.rejected:
            return None
        return self.groups * self.usd_per_group_hour / (w.peak_rps * 3.6)


def host_memory_gib(weights_gib: float) -> int:
    """Host memory of one engine pod: the weights it stages plus headroom, whole GiB."""
    return math.ceil(weights_gib + HOST_MEMORY_HEADROOM_GIB)


def host_pod_memory_gib(llm: LlmPlan) -> int:
    """Host memory of one engine pod of a planned model."""
    return host_memory_gib(llm.weights_gib)


def host_pod(w: Workload, tp: int) -> instances.Pod:
    """What one engine pod asks of its node: cores per GPU, the weights' size plus headroom."""
    weights = model.weights_bytes(w) / model.GIB
    return instances.Pod(cpu=CPU_PER_GPU * tp, memory_gib=host_memory_gib(weights), gpus=tp)


def _price(
    provider: str, region: prices.RegionPrices, pod: instances.Pod, gpu: str
) -> tuple[instances.Instance, float] | None:
    """The node type that holds a group cheapest, and the group's $/hour on it."""
    if gpu not in instances.GPU_INSTANCES[provider]:
        return None

    def per_group(node: instances.Instance) -> float:
        per_node = instances.pods_per_node(node, pod)
        hourly = prices.node_hourly(provider, node.name) * region.factor
        return hourly / per_node if per_node else math.inf

    choice = instances.choose(provider, pod, gpu, per_group)
    if choice is None:
        return None
    return choice.node, per_group(choice.node)


def evaluate(
    w: Workload,
    slo: Slo,
    gpu: Gpu,
    tp: int,
    provider: str,
    region: prices.RegionPrices,
) -> Option:
    """The option's batch, timing, groups and price, or the reason it cannot serve."""
    if w.attention_heads % tp:
        return Option(gpu, tp, rejected=f"{tp} does not divide {w.attention_heads} heads")
    if not model.fits(w, gpu, tp):
        return Option(gpu, tp, rejected="weights and one full-context sequence do not fit")
    priced = _price(provider, region, host_pod(w, tp), gpu.name)
    if priced is None:
        return Option(gpu, tp, rejected=f"{provider} has no node with {tp} {gpu.name} GPUs")
    node, hourly = priced
    sequences = model.memory_sequences(w, gpu, tp)
    batch = model.largest_batch(w, gpu, tp, slo)
    if batch < 1:
        broken = model.misses(model.timing(w, gpu, tp, 1), slo)
        return Option(gpu, tp, memory_sequences=sequences, rejected="; ".join(broken))
    timing = model.timing(w, gpu, tp, batch)
    concurrent = model.concurrent_sequences(w, timing)
    return Option(
        gpu=gpu,
        tp=tp,
        batch=batch,
        memory_sequences=sequences,
        timing=timing,
        concurrent=concurrent,
        groups=model.groups_needed(concurrent, batch),
        node=node,
        usd_per_group_hour=hourly,
    )


def best_of_class(options: list[Option]) -> Option:
    """Fewest GPUs, then cheapest, then the smaller degree; the first rejection otherwise."""
    usable = [o for o in options if o.rejected is None]
    if not usable:
        return min(options, key=lambda o: o.tp)
    return min(usable, key=lambda o: (o.gpus, o.groups * (o.usd_per_group_hour or 0), o.tp))


def class_options(
    w: Workload, slo: Slo, gpu: Gpu, dtype: str, provider: str, region: prices.RegionPrices
) -> Option:
    """The class's best degree, or why none serves."""
    if dtype == "bf16" and not gpu.bf16:
        return Option(gpu, 1, rejected=f"{gpu.name} has no bf16 (set dtype: fp16 to use it)")
    return best_of_class([evaluate(w, slo, gpu, tp, provider, region) for tp in model.TP_DEGREES])


def choose(
    w: Workload,
    slo: Slo,
    dtype: str,
    provider: str,
    region: prices.RegionPrices,
    fixed: str | None,
) -> tuple[Option, tuple[Option, ...]]:
    """The chosen option (a fixed class's, or the cheapest per token) and every class's best."""
    classes = [fixed] if fixed else sorted(GPUS)
    compared = tuple(class_options(w, slo, GPUS[c], dtype, provider, region) for c in classes)
    usable = [o for o in compared if o.rejected is None]
    if not usable:
        return compared[0], compared
    best = min(usable, key=lambda o: (o.usd_per_million_tokens(w) or 0.0, o.gpus, o.gpu.name))
    return best, compared
