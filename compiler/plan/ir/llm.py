"""Plan section of a language model: GPU class, parallelism, engine settings, token figures.

The BentoML target reads the engine settings (max sequences, max model length, GPU memory
utilisation, tensor-parallel size, dtype, quantization) and the request limits; Terraform
reads the GPU class and count through the serving capacity; the README prints the figures.
"""

from __future__ import annotations

from mlopsgen.plan.ir.base import PlanModel


class LlmOptionPlan(PlanModel):
    """One GPU class at its best tensor-parallel degree, as the choice compared it."""

    gpu_class: str
    tensor_parallel: int
    instance_type: str | None
    gpus: int
    usd_per_million_tokens: float | None
    rejected: str | None
    """Why the option cannot serve the spec (memory, SLO, dtype, no instance), else None."""


class LlmPlan(PlanModel):
    """How one language model is served: the figures every GPU decision rests on."""

    generative: bool
    parameters: int
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    dtype: str
    quantization: str
    engine: str
    streaming: bool
    context_tokens: int
    prompt_tokens_p50: int
    prompt_tokens_p95: int
    output_tokens_p50: int
    output_tokens_p95: int
    weights_gib: float
    kv_bytes_per_token: int
    kv_gib_per_sequence: float
    gpu_class: str
    gpu_memory_gib: float
    gpu_memory_utilisation: float
    tensor_parallel: int
    sequences_per_group: int
    """Sequences one engine (tensor-parallel group) holds in memory, capped by the engine."""
    max_num_seqs: int
    """The batch the plan runs each group at: memory and the token SLOs both allow it."""
    ttft_p95_ms: float
    tpot_p95_ms: float
    slo_ttft_p95_ms: float | None = None
    """The spec's time-to-first-token objective (p95), which the alerts hold the service to."""
    slo_tpot_p95_ms: float | None = None
    """The spec's time-per-output-token objective (p95)."""
    e2e_p95_ms: float
    e2e_mean_ms: float
    peak_rps: float
    concurrent_sequences: float
    groups_needed: int
    gpus_needed: int
    instance_type: str | None
    usd_per_group_hour: float | None
    usd_per_thousand_requests: float | None
    usd_per_million_tokens: float | None
    options: tuple[LlmOptionPlan, ...]
    fine_tuning_method: str | None
    fine_tuning_gpu_class: str | None
    fine_tuning_gpus: int | None
    fine_tuning_lora_rank: int | None
    """The LoRA adapter's rank (``fine_tuning.lora_rank``); None unless the method is LoRA."""
    max_output_tokens: int
    """The request limit on max_tokens: the context less the shortest prompt (one token)."""
