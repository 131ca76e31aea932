# Formulas are written in mathematical notation (×) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""How long one fine-tuning run of a language model takes, and what its pod asks for.

A fine-tuning step is compute-bound: each training token costs a forward pass (2 × parameters
FLOPs) and a backward pass. Full fine-tuning computes the gradients of the activations and of
every weight (another 4 × parameters, the usual 6 × parameters per token); LoRA computes the
activations' gradients through the frozen weights (2 × parameters) and the adapters' own,
which are a fraction of a percent, so about 4 × parameters per token. The GPUs run at a
model-FLOPs utilisation below the inference one: a training step adds the optimiser, the
gradient all-reduce and the data loader to the matrix products. The run trains one epoch over
the rows the training lookback holds (capped by ``training.max_rows``), each row a prompt and
its answer at their median lengths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.llm.hardware import GPU_TABLE_DATE, GPUS
from mlopsgen.plan.llm.options import CPU_PER_GPU, host_pod_memory_gib
from mlopsgen.plan.record import Recorder, clean, fmt

__all__ = [
    "FLOPS_PER_TOKEN",
    "TRAINING_UTILISATION",
    "FineTuningJob",
    "fine_tuning_job",
    "rows_that_fit",
]

#: FLOPs per training token, in units of the parameter count, by method.
FLOPS_PER_TOKEN = {"lora": 4, "full": 6}
TRAINING_UTILISATION = 0.4
"""Model-FLOPs utilisation of a fine-tuning step: PaLM reports 46 % for pre-training at scale
(Chowdhery et al. 2022, table 3); single-node fine-tuning with gradient checkpointing runs
lower, 30-45 % in Hugging Face's and Databricks' published runs."""
#: Minutes a run spends loading the base weights and saving the adapter, beside the steps.
START_UP_MINUTES = 10
#: Cores per pod at least: the data loader and the tokenizer run beside the GPUs.
MIN_CPU = 4


@dataclass(frozen=True)
class FineTuningJob:
    """One fine-tuning run: its pod and how long it takes."""

    cpu: float
    memory_gib: float
    gpus: int
    hours: float


def fine_tuning_job(rec: Recorder, name: str, llm: LlmPlan, rows: int) -> FineTuningJob:
    """The run's pod (the plan's fine-tuning GPUs, cores for each, host memory for the
    weights) and its hours, recorded as ``training.<model>.fine_tuning_hours``."""
    method = llm.fine_tuning_method or "lora"
    gpu = GPUS[llm.fine_tuning_gpu_class or llm.gpu_class]
    gpus = llm.fine_tuning_gpus or 1
    tokens = rows * (llm.prompt_tokens_p50 + llm.output_tokens_p50)
    flops = FLOPS_PER_TOKEN[method] * llm.parameters * tokens
    rate = gpus * gpu.dense_tflops_16bit * 1e12 * TRAINING_UTILISATION
    seconds = flops / rate
    hours = clean(seconds / 3600 + START_UP_MINUTES / 60, 4)
    rec.add(
        f"training.{name}.fine_tuning_hours",
        hours,
        unit="h",
        formula=[
            "tokens = rows × (prompt p50 + output p50)",
            f"hours = {FLOPS_PER_TOKEN[method]} ({method}) × parameters × tokens / "
            f"(GPUs × dense FLOPS × {TRAINING_UTILISATION}) + {START_UP_MINUTES} min",
        ],
        computed=[
            f"{rows} × ({llm.prompt_tokens_p50} + {llm.output_tokens_p50}) = {fmt(tokens)}",
            f"{FLOPS_PER_TOKEN[method]} × {fmt(llm.parameters)} × {fmt(tokens)} / ({gpus} × "
            f"{fmt(gpu.dense_tflops_16bit)}e12 × {TRAINING_UTILISATION}) = "
            f"{fmt(seconds / 3600)} h",
        ],
        inputs={
            "method": method,
            "gpu_class": gpu.name,
            "gpus": gpus,
            "rows": rows,
            "gpu_table_date": GPU_TABLE_DATE,
        },
        sources=[
            ("training", "lookback_days"),
            ("training", "max_rows"),
            ("data", "sources"),
        ],
        reason="a fine-tuning step is compute-bound; one epoch over the lookback's rows at "
        "their median lengths",
    )
    cpu = float(max(MIN_CPU, CPU_PER_GPU * gpus))
    return FineTuningJob(cpu, float(host_pod_memory_gib(llm)), gpus, hours)


def rows_that_fit(llm: LlmPlan, budget_seconds: float) -> int:
    """The most rows one run trains on within ``budget_seconds``."""
    method = llm.fine_tuning_method or "lora"
    gpu = GPUS[llm.fine_tuning_gpu_class or llm.gpu_class]
    rate = (llm.fine_tuning_gpus or 1) * gpu.dense_tflops_16bit * 1e12 * TRAINING_UTILISATION
    per_row = (
        FLOPS_PER_TOKEN[method] * llm.parameters * (llm.prompt_tokens_p50 + llm.output_tokens_p50)
    )
    steps = max(0.0, budget_seconds - START_UP_MINUTES * 60)
    return max(0, math.floor(steps * rate / per_row))
