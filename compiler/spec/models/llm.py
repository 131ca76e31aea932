"""Spec models for generative and embedding language models (the ``llm:`` block of a model).

A language model is sized from what it is, not from a calibration table: its weights and its
key/value cache decide how many sequences a GPU holds, and memory bandwidth decides how fast
each one decodes. So the block states the architecture (or a named family whose facts live
in the planner's dated table), the numeric format, the token lengths of the traffic, the
streaming mode, the engine, the GPU class per role and the token-level SLOs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlopsgen.spec.models.base import SpecModel, invalid
from mlopsgen.spec.models.types import Cadence

GpuClass = Literal["t4", "l4", "a10g", "a100", "h100"]

#: Families whose architecture facts the planner's dated table holds.
Family = Literal[
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "mistral-7b",
    "qwen2.5-0.5b",
    "qwen2.5-7b",
    "bge-large-en-v1.5",
]


class Architecture(SpecModel):
    """The transformer facts that decide KV-cache size (from the model's config.json)."""

    layers: int = Field(ge=1, le=512)
    attention_heads: int = Field(ge=1, le=1024)
    kv_heads: int = Field(ge=1, le=1024)
    """Key/value heads: fewer than attention heads under grouped-query attention."""
    head_dim: int = Field(ge=8, le=1024)
    max_context_tokens: int | None = Field(default=None, ge=16, le=10**7)
    """The longest sequence the model was trained for; unset, the spec's context is trusted."""

    @model_validator(mode="after")
    def _grouped(self) -> Architecture:
        if self.kv_heads > self.attention_heads or self.attention_heads % self.kv_heads:
            raise invalid(
                f"kv_heads ({self.kv_heads}) must divide attention_heads ({self.attention_heads})",
                "copy num_key_value_heads and num_attention_heads from the model's config.json",
            )
        return self


class TokenCounts(SpecModel):
    """Tokens per request: the median and the 95th percentile."""

    p50: int = Field(ge=1, le=10**7)
    p95: int = Field(ge=1, le=10**7)

    @model_validator(mode="after")
    def _ordered(self) -> TokenCounts:
        if self.p95 < self.p50:
            raise invalid(
                f"p95 ({self.p95}) is below p50 ({self.p50})",
                f"swap them: p50: {self.p95} and p95: {self.p50}",
                {"p50": self.p95, "p95": self.p50},
            )
        return self


class LlmSlo(SpecModel):
    """Token-level objectives; the end-to-end p95 is the system's ``slo.latency_p95_ms``."""

    time_to_first_token_p95_ms: float | None = Field(default=None, gt=0, le=600000)
    time_per_output_token_p95_ms: float | None = Field(default=None, gt=0, le=60000)


class LlmGpu(SpecModel):
    """The GPU class per role; unset, the planner chooses the cheapest that meets the SLOs."""

    serving: GpuClass | None = None
    fine_tuning: GpuClass | None = None


class FineTuning(SpecModel):
    """How the model is adapted to the system's data."""

    method: Literal["lora", "full"] = "lora"
    cadence: Cadence = "weekly"
    lora_rank: int = Field(default=16, ge=1, le=1024)


class Llm(SpecModel):
    """What a language model is and what its traffic looks like."""

    family: Family | None = None
    """A model family whose architecture facts the planner's table holds."""
    architecture: Architecture | None = None
    """The facts themselves, for a model the table does not hold."""
    dtype: Literal["fp16", "bf16"] = "bf16"
    """Activation and KV-cache format."""
    quantization: Literal["none", "int8", "int4"] = "none"
    """Weight format: int8 (W8A16) or int4 (AWQ/GPTQ, groups of 128)."""
    context_length: int = Field(ge=16, le=10**7)
    """The longest prompt plus output the service accepts (the engine's max model length)."""
    prompt_tokens: TokenCounts
    output_tokens: TokenCounts | None = None
    """Generated tokens per request; an embedding model generates none."""
    streaming: bool = True
    engine: Literal["vllm"] = "vllm"
    gpu: LlmGpu = LlmGpu()
    slo: LlmSlo = LlmSlo()
    fine_tuning: FineTuning | None = None

    @model_validator(mode="after")
    def _facts(self) -> Llm:
        if (self.family is None) == (self.architecture is None):
            raise invalid(
                "give exactly one of family or architecture",
                "name a family the planner knows (e.g. family: llama-3.1-8b), or state "
                "architecture: {layers, attention_heads, kv_heads, head_dim} from config.json",
            )
        return self
