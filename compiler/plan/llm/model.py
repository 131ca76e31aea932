# Formulas are written in mathematical notation (×, −, ⌊⌋) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""How a language model uses a GPU: memory, sequences, decode and prefill speed, GPU count.

Pure functions of the workload and one (GPU class, tensor-parallel degree) option, so the
planner can evaluate every option and the tests can check each rule alone.

- Weights = parameters × bytes per parameter (fp16/bf16 2, int8 1, int4 0.53: four bits plus
  an fp16 scale and zero per group of 128).
- KV cache per token = 2 (K and V) × layers × KV heads × head dim × 2 bytes (the KV cache keeps
  the activation format whatever the weight format).
- An option fits when each GPU holds its share of the weights, the activation reserve and
  the KV cache of one sequence at the full context length: the engine refuses to start
  otherwise.
- Sequences per group = ⌊(t × (memory × utilisation − reserve) − weights) / KV per sequence⌋,
  a sequence counted at its p95 prompt plus p95 output, capped at the engine's maximum.
- A decode step reads the weights and the live KV cache once and computes 2 × parameters FLOP
  per token, for the batch's tokens and the prompt tokens interleaved with it (each sequence
  brings its prompt once over its output tokens); the two are added, not overlapped, which
  matches published vLLM figures within the tolerance the tests state.
- Time to first token = the p95 prompt's prefill (2 × parameters × tokens FLOP) plus the
  decode step it waits behind.
- Concurrent sequences follow Little's law: peak rps × mean end-to-end time; groups =
  ⌈concurrent / (batch × occupancy)⌉.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan.llm.hardware import Gpu

GIB = 2**30
BYTES_PER_PARAMETER = {"none": 2.0, "int8": 1.0, "int4": 0.53125}
KV_BYTES = 2
GPU_MEMORY_UTILISATION = 0.9
"""vLLM's default ``gpu_memory_utilization``: the share of device memory the engine takes."""
ACTIVATION_RESERVE_GIB = 1.5
"""Per GPU, beside weights and KV cache: activations of the largest prefill chunk, CUDA graphs
and the allocator's fragmentation, as vLLM's start-up memory profile reports for 7–8B models."""
BANDWIDTH_EFFICIENCY = 0.75
"""Share of peak bandwidth a decode step achieves: Llama-3.1-8B decodes one sequence at 75
tokens/s on an A100 40GB (77 % of its roofline) and at 6.5 ms/token on an H100 (74 %)."""
COMPUTE_EFFICIENCY = 0.6
"""Share of dense tensor throughput that prefill reaches (model FLOP utilisation)."""
TP_OVERHEAD = 1.1
"""Step-time factor of tensor parallelism beyond one GPU: all-reduces after every layer."""
MAX_NUM_SEQS = 256
"""vLLM's default ``max_num_seqs``: the most sequences one engine schedules at once."""
OCCUPANCY = 0.8
"""Share of a group's sequence slots planned busy at peak, so a burst finds a free slot."""
TP_DEGREES = (1, 2, 4, 8)


@dataclass(frozen=True)
class Workload:
    """What the spec says the model is and what its traffic looks like."""

    parameters: int
    layers: int
    kv_heads: int
    attention_heads: int
    head_dim: int
    quantization: str
    context_tokens: int
    prompt_p50: int
    prompt_p95: int
    output_p50: int
    output_p95: int
    peak_rps: float
    generative: bool = True


@dataclass(frozen=True)
class Slo:
    """Token-level and end-to-end objectives (None: not stated)."""

    ttft_p95_ms: float | None = None
    tpot_p95_ms: float | None = None
    e2e_p95_ms: float | None = None


def weights_bytes(w: Workload) -> float:
    """parameters × bytes per parameter."""
    return w.parameters * BYTES_PER_PARAMETER[w.quantization]


def kv_bytes_per_token(w: Workload) -> float:
    """2 × layers × KV heads × head dim × 2 bytes (0 for an embedding model: no cache kept)."""
    return 2 * w.layers * w.kv_heads * w.head_dim * KV_BYTES if w.generative else 0.0


def sequence_tokens(w: Workload) -> int:
    """Tokens a sequence holds at its p95: prompt p95 + output p95."""
    return w.prompt_p95 + w.output_p95


def usable_bytes(gpu: Gpu, tp: int) -> float:
    """t × (memory × utilisation − activation reserve)."""
    return tp * (gpu.memory_gib * GPU_MEMORY_UTILISATION - ACTIVATION_RESERVE_GIB) * GIB


def fits(w: Workload, gpu: Gpu, tp: int) -> bool:
    """Weights plus one full-context sequence's KV cache fit the group's usable memory."""
    return weights_bytes(w) + kv_bytes_per_token(w) * w.context_tokens <= usable_bytes(gpu, tp)


def kv_budget_bytes(w: Workload, gpu: Gpu, tp: int) -> float:
    """Usable memory left for the KV cache after the weights."""
    return usable_bytes(gpu, tp) - weights_bytes(w)


def memory_sequences(w: Workload, gpu: Gpu, tp: int) -> int:
    """⌊KV budget / KV per p95 sequence⌋, capped at the engine's max_num_seqs."""
    per_sequence = kv_bytes_per_token(w) * sequence_tokens(w)
    if per_sequence <= 0:
        return MAX_NUM_SEQS
    return max(0, min(MAX_NUM_SEQS, math.floor(kv_budget_bytes(w, gpu, tp) / per_sequence)))


def _flops_per_second(gpu: Gpu, tp: int) -> float:
    return tp * gpu.dense_tflops_16bit * 1e12 * COMPUTE_EFFICIENCY


def _overhead(tp: int) -> float:
    return TP_OVERHEAD if tp > 1 else 1.0


def step_seconds(w: Workload, gpu: Gpu, tp: int, batch: int, live_tokens: float) -> float:
    """One decode step of ``batch`` sequences holding ``live_tokens`` each on average.

    (weights + batch × KV per token × live tokens) / (t × bandwidth × efficiency)
    + 2 × parameters × batch × (1 + prompt p50 / output p50) / (t × FLOPS × efficiency).
    """
    read = weights_bytes(w) + batch * kv_bytes_per_token(w) * live_tokens
    memory = read / (tp * gpu.bandwidth_gb_s * 1e9 * BANDWIDTH_EFFICIENCY)
    tokens = batch * (1 + w.prompt_p50 / max(w.output_p50, 1))
    compute = 2 * w.parameters * tokens / _flops_per_second(gpu, tp)
    return (memory + compute) * _overhead(tp)


def prefill_seconds(w: Workload, gpu: Gpu, tp: int, tokens: int) -> float:
    """2 × parameters × prompt tokens / (t × FLOPS × efficiency)."""
    return 2 * w.parameters * tokens / _flops_per_second(gpu, tp) * _overhead(tp)


@dataclass(frozen=True)
class Timing:
    """Latencies of one option at a planned batch, in seconds."""

    tpot_p95: float
    tpot_mean: float
    ttft_p95: float
    ttft_mean: float
    e2e_p95: float
    e2e_mean: float


def timing(w: Workload, gpu: Gpu, tp: int, batch: int) -> Timing:
    """TPOT, TTFT and end-to-end time at ``batch`` concurrent sequences per group."""
    if not w.generative:
        p95 = prefill_seconds(w, gpu, tp, w.prompt_p95 * batch)
        mean = prefill_seconds(w, gpu, tp, w.prompt_p50 * batch)
        return Timing(0.0, 0.0, p95, mean, p95, mean)
    tpot_p95 = step_seconds(w, gpu, tp, batch, w.prompt_p95 + w.output_p95 / 2)
    tpot_mean = step_seconds(w, gpu, tp, batch, w.prompt_p50 + w.output_p50 / 2)
    ttft_p95 = prefill_seconds(w, gpu, tp, w.prompt_p95) + tpot_p95
    ttft_mean = prefill_seconds(w, gpu, tp, w.prompt_p50) + tpot_mean
    return Timing(
        tpot_p95=tpot_p95,
        tpot_mean=tpot_mean,
        ttft_p95=ttft_p95,
        ttft_mean=ttft_mean,
        e2e_p95=ttft_p95 + max(w.output_p95 - 1, 0) * tpot_p95,
        e2e_mean=ttft_mean + max(w.output_p50 - 1, 0) * tpot_mean,
    )


def misses(t: Timing, slo: Slo) -> list[str]:
    """The objectives a timing breaks, each as 'name planned > bound'."""
    broken = []
    for name, planned, bound in (
        ("TTFT p95", t.ttft_p95, slo.ttft_p95_ms),
        ("TPOT p95", t.tpot_p95, slo.tpot_p95_ms),
        ("end-to-end p95", t.e2e_p95, slo.e2e_p95_ms),
    ):
        if bound is not None and planned * 1000 > bound:
            broken.append(f"{name} {planned * 1000:.4g} ms > {bound:g} ms")
    return broken


def largest_batch(w: Workload, gpu: Gpu, tp: int, slo: Slo) -> int:
    """The most sequences per group that memory holds and the SLOs allow (0: none does).

    Step time grows with the batch, so the SLO-meeting batches form a prefix: bisect it.
    """
    high = memory_sequences(w, gpu, tp) if w.generative else MAX_NUM_SEQS
    if high < 1 or misses(timing(w, gpu, tp, 1), slo):
        return 0
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        if misses(timing(w, gpu, tp, middle), slo):
            high = middle - 1
        else:
            low = middle
    return low


def concurrent_sequences(w: Workload, t: Timing) -> float:
    """Little's law: peak rps × mean end-to-end time."""
    return w.peak_rps * t.e2e_mean


def groups_needed(concurrent: float, batch: int) -> int:
    """⌈concurrent sequences / (batch × occupancy)⌉, at least one group."""
    return max(1, math.ceil(round(concurrent / (batch * OCCUPANCY), 9)))
