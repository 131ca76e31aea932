"""The dated GPU table: memory, bandwidth and dense tensor throughput per GPU class.

Memory is what the driver reports as the device's total (nvidia-smi), in GiB, because that is
what an engine's ``gpu_memory_utilization`` is a fraction of. Bandwidth and throughput are the
vendor's dense figures (no structured-sparsity doubling). The A10G, an AWS-only part, has no
public datasheet; its figures are those AWS and NVIDIA cite for the G5 family. Instance types
and prices per region live beside the CPU ones in :mod:`mlopsgen.plan.instances` and
:mod:`mlopsgen.plan.prices`; this table adds only what the LLM sizing needs.
"""

from __future__ import annotations

from dataclasses import dataclass

GPU_TABLE_DATE = "2026-11"
GPU_SOURCES = (
    "NVIDIA datasheets: T4 (2019), L4 (2023), A100 40GB SXM (2020), H100 SXM5 80GB (2023); "
    "AWS EC2 G5 instance page for the A10G; totals as reported by nvidia-smi"
)


@dataclass(frozen=True)
class Gpu:
    """One GPU class."""

    name: str
    memory_gib: float
    """Device memory the driver reports."""
    bandwidth_gb_s: float
    """Peak memory bandwidth, 10⁹ bytes per second."""
    dense_tflops_16bit: float
    """Dense fp16/bf16 tensor-core throughput, 10¹² FLOP per second."""
    bf16: bool
    """Whether the class computes in bf16 (compute capability 8.0 and later)."""


GPUS: dict[str, Gpu] = {
    "t4": Gpu("t4", 15.0, 320, 65, bf16=False),
    "l4": Gpu("l4", 22.5, 300, 121, bf16=True),
    "a10g": Gpu("a10g", 22.5, 600, 70, bf16=True),
    "a100": Gpu("a100", 39.6, 1555, 312, bf16=True),
    "h100": Gpu("h100", 79.6, 3350, 989, bf16=True),
}
