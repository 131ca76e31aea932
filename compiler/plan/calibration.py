# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""The calibration table: service time, throughput and memory per framework and model size.

Capacity planning needs two numbers per model: the service time S of one request (it sets
the utilisation target through the M/M/1 tail) and the sustained throughput of one replica
(it sets the replica count through Little's law). Until a system has been measured, they
come from this table; a spec overrides them per model with ``calibration:`` once a load test
of the running service has measured the real per-replica throughput and p95.

Where the numbers come from (2026-11): single-request and adaptively batched inference
through a Python model server, measured order-of-magnitude figures for each family —

* gradient-boosted trees (xgboost, lightgbm; ~100-300 trees): tens of microseconds per row
  in native code; the per-request cost is dominated by row conversion, so a 4-vCPU replica
  sustains ~15k predictions/s with batching and ~0.5 ms single-request latency (small);
* scikit-learn estimators: ~1 ms per call from Python overhead; text models (TF-IDF +
  linear) pay for tokenisation;
* PyTorch: CPU figures for an MLP/two-tower, a DistilBERT-class encoder and a
  ResNet-50-class CNN at 224x224 (medium); GPU figures on one NVIDIA T4 with batching,
  scaled for newer GPU classes by their published relative inference throughput;
* statsforecast: predicting one series from a fitted model, a few milliseconds; memory is
  per series because partitioned forecasters keep one fitted model per series;
* langdetect: pure-Python n-gram profiles, ~3 ms per short text.

The model-server row is BentoML's own cost per request (HTTP, JSON, dispatch, metrics):
~1,000 requests/s per worker process on a dedicated core (about 450/s when the load
generator shares the same two cores). Feature lookups are one pipelined Redis round
trip per request plus decoding per entity.

A *standard CPU replica* is 4 vCPU with 4 workers (one per core: Python inference is
CPU-bound); a *GPU replica* is one worker per GPU with 3 vCPU for decoding and batching.
Throughputs below are per replica (CPU) or per GPU (GPU).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen.plan.ir.data import CalibrationPlan
from mlopsgen.plan.record import count
from mlopsgen.spec.models.ml import ModelSpec

CALIBRATION_DATE = "2026-11"


@dataclass(frozen=True)
class Figures:
    """Serving figures of one model on one replica.

    Attributes:
        service_time_ms: Latency of one request with no queueing.
        per_replica_rps: Sustained requests per second of one replica with batching.
        memory_mb: Resident memory of one loaded model (one partition) in one worker.
    """

    service_time_ms: float
    per_replica_rps: float
    memory_mb: float


def _sizes(small: Figures, medium: Figures, large: Figures) -> dict[str, Figures]:
    return {"small": small, "medium": medium, "large": large}


F = Figures

CPU_REPLICA_VCPU = 4
CPU_REPLICA_WORKERS = 4
GPU_REPLICA_VCPU = 3
REPLICA_BASE_MEMORY_MB = 1024
MEMORY_HEADROOM = 1.25

#: Per-model figures on a standard 4-vCPU replica, keyed by (framework, workload).
CPU_TABLE: dict[tuple[str, str], dict[str, Figures]] = {
    ("sklearn", "tabular"): _sizes(F(1.0, 10000, 20), F(2.5, 4000, 100), F(8.0, 1000, 500)),
    ("sklearn", "text"): _sizes(F(1.5, 5000, 40), F(4.0, 1500, 150), F(12.0, 400, 600)),
    ("xgboost", "tabular"): _sizes(F(0.5, 15000, 20), F(1.5, 6000, 80), F(5.0, 1500, 400)),
    ("lightgbm", "tabular"): _sizes(F(0.5, 15000, 20), F(1.5, 6000, 80), F(5.0, 1500, 400)),
    ("pytorch", "tabular"): _sizes(F(2.0, 3000, 100), F(5.0, 1200, 500), F(15.0, 300, 2000)),
    ("pytorch", "text"): _sizes(F(12.0, 120, 300), F(35.0, 40, 1200), F(100.0, 12, 4000)),
    ("pytorch", "image"): _sizes(F(15.0, 100, 60), F(45.0, 30, 200), F(150.0, 8, 1200)),
    ("statsforecast", "tabular"): _sizes(F(4.0, 800, 0.02), F(10.0, 300, 0.1), F(30.0, 100, 0.5)),
    ("langdetect", "text"): _sizes(F(3.0, 1200, 50), F(3.0, 1200, 50), F(3.0, 1200, 50)),
}

#: Per-model figures on one NVIDIA T4 (PyTorch only: the other frameworks gain nothing
#: from a GPU at single-request sizes).
GPU_TABLE: dict[tuple[str, str], dict[str, Figures]] = {
    ("pytorch", "tabular"): _sizes(F(1.0, 10000, 100), F(2.0, 5000, 500), F(5.0, 2000, 2000)),
    ("pytorch", "text"): _sizes(F(4.0, 1500, 300), F(8.0, 600, 1200), F(20.0, 200, 4000)),
    ("pytorch", "image"): _sizes(F(5.0, 1500, 60), F(10.0, 500, 200), F(25.0, 150, 1200)),
}

#: GPU class relative to a T4: (throughput factor, latency divisor).
GPU_CLASSES: dict[str, tuple[float, float]] = {
    "t4": (1.0, 1.0),
    "l4": (2.0, 1.6),
    "a10g": (2.2, 1.8),
    "a100": (5.0, 3.0),
    "h100": (8.0, 4.0),
}
DEFAULT_GPU_CLASS = "t4"

#: Quantisation on (device, mode): (throughput factor, latency divisor, memory factor).
#: fp16 has no fast kernels on most server CPUs, so it changes nothing there.
QUANTIZATION: dict[tuple[str, str], tuple[float, float, float]] = {
    ("cpu", "int8"): (2.0, 1.5, 0.5),
    ("cpu", "fp16"): (1.0, 1.0, 0.75),
    ("gpu", "int8"): (2.5, 1.8, 0.5),
    ("gpu", "fp16"): (1.8, 1.5, 0.75),
}

#: Per-worker figures of the stages every request path shares.
SERVER_PER_WORKER = Figures(1.0, 1000, 0)
"""Model-server overhead per request: HTTP, JSON, dispatch, metrics."""
FEATURES_PER_WORKER = Figures(1.5, 2500, 0)
"""One pipelined online-store read; throughput is per entity looked up."""
CACHE_PER_WORKER = Figures(0.5, 5000, 0)
"""One cache GET (hit or miss)."""
RULES_PER_WORKER = Figures(0.1, 12500, 0)
"""Ensemble arithmetic, thresholds and a handful of compiled rules."""

#: Entries measured as described above, as (device, framework, workload, size); every other
#: entry is scaled from them by model size, and the plan says its figure is an assumption.
MEASURED: frozenset[tuple[str, str, str, str]] = frozenset(
    {
        ("cpu", "xgboost", "tabular", "small"),
        ("cpu", "lightgbm", "tabular", "small"),
        ("cpu", "sklearn", "tabular", "small"),
        ("cpu", "sklearn", "text", "small"),
        ("cpu", "pytorch", "tabular", "medium"),
        ("cpu", "pytorch", "text", "medium"),
        ("cpu", "pytorch", "image", "medium"),
        ("cpu", "statsforecast", "tabular", "small"),
        ("gpu", "pytorch", "tabular", "medium"),
        ("gpu", "pytorch", "text", "medium"),
        ("gpu", "pytorch", "image", "medium"),
    }
    | {("cpu", "langdetect", "text", size) for size in ("small", "medium", "large")}
)

#: Largest network, in parameters, the table's rows stand for (the large class: a
#: BERT-large-class encoder, a ResNet-152-class CNN, a wide MLP). Beyond it the model is of a
#: kind the table does not model — a generative model answers token by token, so its time
#: per request depends on the tokens it writes — and the plan refuses to size it (E506).
MODELLED_PARAMETERS: dict[tuple[str, str], int] = {
    ("pytorch", "text"): 340_000_000,
    ("pytorch", "image"): 60_000_000,
    ("pytorch", "tabular"): 100_000_000,
}

#: Partitions (series, languages) trained together in one shard, by framework.
PARTITIONS_PER_SHARD: dict[str, int] = {
    "statsforecast": 1000,
    "sklearn": 4,
    "xgboost": 2,
    "lightgbm": 2,
    "pytorch": 1,
    "langdetect": 1,
}

TRAINING_CALIBRATION_DATE = "2026-11"
#: Training throughput of a whole run (every tree, epoch or fit), in rows × features per
#: second per vCPU (per GPU for GPU-trained PyTorch), keyed by (framework, workload).
#: Estimates, not measurements: order-of-magnitude figures for histogram GBTs (~300 trees),
#: scikit-learn linear and tree models, TF-IDF text pipelines (a feature is a document),
#: PyTorch MLPs, DistilBERT-class fine-tuning and ResNet-50-class CNNs over ~10 epochs, and
#: per-series statistical fits. A measured run replaces them once a pipeline has trained.
TRAINING_THROUGHPUT: dict[tuple[str, str], dict[str, float]] = {
    ("xgboost", "tabular"): {"small": 2e5, "medium": 1e5, "large": 3e4},
    ("lightgbm", "tabular"): {"small": 4e5, "medium": 2e5, "large": 6e4},
    ("sklearn", "tabular"): {"small": 5e5, "medium": 1e5, "large": 2e4},
    ("sklearn", "text"): {"small": 2e4, "medium": 5e3, "large": 1e3},
    ("pytorch", "tabular"): {"small": 1e5, "medium": 2e4, "large": 5e3},
    ("pytorch", "text"): {"small": 50, "medium": 10, "large": 2},
    ("pytorch", "image"): {"small": 5, "medium": 1.5, "large": 0.5},
    ("statsforecast", "tabular"): {"small": 1e6, "medium": 5e5, "large": 2e5},
}
GPU_TRAINING_SPEEDUP = 40.0
"""One T4 against one vCPU on PyTorch training (scaled further by the GPU class)."""
#: Bytes per row × feature of the in-memory training matrix: float32 cells for tables, a
#: sparse TF-IDF row for a document. PyTorch streams batches from storage, so its memory is
#: the spec's ``resources.memory_gib`` rather than the data size.
MATRIX_BYTES: dict[str, float] = {"tabular": 4.0, "text": 600.0, "image": 0.0}
MATRIX_OVERHEAD = 3.0
"""Copies alive during a fit: the loaded frame, the framework's matrix, its binned copy."""
STREAMING_FRAMEWORKS = frozenset({"pytorch"})

#: Frameworks whose models ship pre-trained (langdetect's language profiles).
PRETRAINED_FRAMEWORKS = frozenset({"langdetect"})

#: Frameworks that do not batch requests (pure-Python per-text loops).
UNBATCHABLE_FRAMEWORKS = frozenset({"langdetect"})

_WORKLOADS = {
    "image_classification": "image",
    "object_detection": "image",
    "sentiment_analysis": "text",
    "entity_recognition": "text",
    "language_identification": "text",
}


def workload(task: str) -> str:
    """The input family of a task: ``image``, ``text`` or ``tabular``."""
    return _WORKLOADS.get(task, "tabular")


def _lookup(
    table: dict[tuple[str, str], dict[str, Figures]], framework: str, task: str
) -> tuple[str, dict[str, Figures]] | None:
    for kind in (workload(task), "tabular", "text", "image"):
        if (framework, kind) in table:
            return kind, table[(framework, kind)]
    return None


def model_calibration(model: ModelSpec, gpu_class: str | None) -> CalibrationPlan:
    """The serving figures of one model: the spec's measured ones, or the table's.

    GPU figures apply to PyTorch models with ``gpu.serving`` set, scaled by the GPU class
    and the GPU count; quantisation scales PyTorch figures; pruning never does, because
    unstructured sparsity is not exploited by dense kernels.
    """
    on_gpu = model.gpu.serving > 0
    gpu_row = _lookup(GPU_TABLE, model.framework, model.task) if on_gpu else None
    device = "gpu" if on_gpu else "cpu"
    found = gpu_row or _lookup(CPU_TABLE, model.framework, model.task)
    if found is None:
        raise ValueError(f"no calibration row for framework {model.framework!r}")
    kind, sizes = found
    figures = sizes[model.size]
    service, rps, memory = figures.service_time_ms, figures.per_replica_rps, figures.memory_mb
    table_key = f"{'gpu' if gpu_row else 'cpu'}/{model.framework}/{kind}/{model.size}"
    notes: list[str] = []
    if on_gpu and gpu_row is None:
        notes.append(f"no GPU figures for {model.framework}: CPU figures used (conservative)")
    if gpu_row is not None:
        gpu = gpu_class or DEFAULT_GPU_CLASS
        speed, latency = GPU_CLASSES[gpu]
        service, rps = service / latency, rps * speed * model.gpu.serving
        notes.append(f"{gpu} x{model.gpu.serving}: throughput ×{speed * model.gpu.serving:g}")
    if model.framework == "pytorch" and model.optimization.quantization != "none":
        mode = model.optimization.quantization
        speed, latency, mem = QUANTIZATION[(device if gpu_row else "cpu", mode)]
        service, rps, memory = service / latency, rps * speed, memory * mem
        notes.append(f"{mode}: throughput ×{speed:g}, latency ÷{latency:g}")
    if model.optimization.pruning_sparsity > 0:
        notes.append("pruning: no speed-up assumed (dense kernels ignore unstructured zeros)")
    if model.calibration is not None:
        return _measured(model, device, memory, table_key)
    assumed = (device if gpu_row else "cpu", model.framework, kind, model.size) not in MEASURED
    if kind != workload(model.task):
        notes.append(f"no {workload(model.task)} row for {model.framework}: {kind} figures used")
        assumed = True
    return CalibrationPlan(
        device=device,
        service_time_ms=round(service, 4),
        per_replica_rps=round(rps, 4),
        memory_mb=round(memory, 4),
        origin="table",
        table_key=table_key,
        adjustments=tuple(notes),
        assumed=assumed,
    )


def outside_table(model: ModelSpec) -> int | None:
    """The largest parameter count the table models for this model, when it states more."""
    limit = MODELLED_PARAMETERS.get((model.framework, workload(model.task)))
    count = model.parameter_count
    if limit is None or count is None or count <= limit:
        return None
    return limit


def _measured(model: ModelSpec, device: str, memory: float, table_key: str) -> CalibrationPlan:
    """Figures from the spec's ``calibration:``; throughput defaults to workers / S.

    Measured figures already include the GPU class and quantisation the model was measured
    with, so none of the table's adjustments apply; only the memory estimate is kept.
    """
    measured = model.calibration
    if measured is None:
        raise ValueError("a measured calibration needs the spec's calibration block")
    workers = max(model.gpu.serving, 1) if device == "gpu" else CPU_REPLICA_WORKERS
    rps = measured.per_replica_rps
    notes = ["measured: the spec's calibration block"]
    if rps is None:
        rps = workers * 1000 / measured.service_time_ms
        notes.append(f"per_replica_rps = {count(workers, 'workers')} × 1000 / S (no batching gain)")
    return CalibrationPlan(
        device=device,
        service_time_ms=measured.service_time_ms,
        per_replica_rps=round(rps, 4),
        memory_mb=round(memory, 4),
        origin="spec",
        table_key=table_key,
        adjustments=tuple(notes),
    )
