# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF002, RUF003
"""Training jobs sized from the data they read: rows × lookback × features.

A training job reads ``rows_per_day × lookback_days`` rows of its source (a shard of a
partitioned model its share of them), at most ``training.max_rows`` when the spec samples.
Its work is rows × features; the calibration table's throughput (rows × features per second
per vCPU, or per GPU) turns work into time. CPU jobs get the vCPUs that finish them in half
the training window (the interval between runs: the rest absorbs a retry), between the spec's
``resources.cpu`` and one node's allocatable cores; in-memory frameworks get the memory of
their training matrix. That vCPU count is a floor: on a cloud's training pool a CPU job
then takes the cores of the whole nodes it holds (:mod:`mlopsgen.plan.training_nodes`),
which only makes it faster. When even the largest job cannot finish in the window, or its
matrix fits no node, W521 says so and names the ``max_rows`` that would fit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from mlopsgen.diagnostics import set_value
from mlopsgen.plan import calibration
from mlopsgen.plan.ir.data import ModelPlan, StepPlan, TrainingModelPlan
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.llm.fine_tuning import fine_tuning_job, rows_that_fit
from mlopsgen.plan.record import Recorder, clean, count, fmt
from mlopsgen.spec.models.root import Spec

MAX_TRAIN_VCPU = 15
"""A 16-vCPU node less the 1 vCPU the kubelet and daemon sets keep."""
MAX_TRAIN_MEMORY_GIB = 126
"""A memory-optimised 16-vCPU node (128 GiB) less the 2 GiB the system keeps."""
RUNTIME_MEMORY_GIB = 1.0
START_UP_HOURS = 5 / 60
"""Image pull, start-up and the first read of the data: about 5 minutes per job."""
ASSUMED_ROWS_PER_DAY = 1_000_000
"""Volume assumed for a source that states no rows_per_day (the reason says so)."""
WINDOW_SHARE = 0.5
GIB_PER_VCPU = 4
"""A general-purpose node's memory per core: a job holding that much memory pays for the
cores anyway, so it gets them (and its bill then grows with its data, never shrinks)."""


@dataclass(frozen=True)
class TrainingSize:
    """One training job (one shard) of one model: its data, resources and duration."""

    rows_per_shard: int
    features: int
    cpu: float
    memory_gib: float
    gpu: int
    hours_per_shard: float
    fits: bool
    fit_rows: int | None = None
    """When the job does not fit: the most rows per job that would (None when it fits)."""
    run_minutes: float = 0.0
    """Minutes one run takes over all its waves (what must fit the window)."""
    matrix_memory_gib: float = 0.0
    """Memory the training matrix needs, before the pod is capped at the largest node."""


def throughput(model: ModelPlan) -> float:
    """rows × features per second per vCPU (per GPU-equivalent) of the model's framework."""
    kind = calibration.workload(model.task)
    for key in (kind, "tabular", "text", "image"):
        row = calibration.TRAINING_THROUGHPUT.get((model.framework, key))
        if row is not None:
            return row[model.size]
    return 0.0


def _rows(spec: Spec, model: ModelPlan) -> tuple[int, str]:
    source = next(s for s in spec.data.sources if s.name == model.source)
    per_day = source.rows_per_day
    note = ""
    if per_day is None:
        per_day = ASSUMED_ROWS_PER_DAY
        note = f"; {source.name} states no rows_per_day, {ASSUMED_ROWS_PER_DAY} assumed"
    rows = per_day * spec.training.lookback_days
    partition = model.partition
    if partition is not None:
        rows = math.ceil(rows * partition.partitions_per_shard / partition.cardinality)
    return rows, note


def size_training(
    spec: Spec,
    rec: Recorder,
    index: int,
    model: ModelPlan,
    window_minutes: float,
    gpu_speed: float,
) -> TrainingSize:
    """Rows, vCPU, memory and hours of one shard's job, and the rows that would fit when the
    window cannot be met (:func:`warn_unfit` reports those, once every model is sized)."""
    resources = spec.models[index].resources
    waves = model.partition.waves if model.partition else 1
    full, note = _rows(spec, model)
    max_rows = spec.training.max_rows
    rows = min(full, max_rows) if max_rows else full
    if model.llm is not None:
        return _size_fine_tuning(rec, model, model.llm, rows, window_minutes)
    features = max(1, len(model.inputs))
    cells = rows * features
    thr = throughput(model)
    budget_s = window_minutes * 60 * WINDOW_SHARE / waves
    kind = calibration.workload(model.task)
    in_memory = model.framework not in calibration.STREAMING_FRAMEWORKS
    bytes_per_cell = calibration.MATRIX_BYTES[kind] * calibration.MATRIX_OVERHEAD
    matrix_gib = cells * bytes_per_cell / 2**30 if in_memory else 0.0
    memory = float(max(resources.memory_gib, math.ceil(matrix_gib + RUNTIME_MEMORY_GIB)))
    gpu = model.gpu_training if model.framework == "pytorch" else 0
    if gpu:
        units = gpu * calibration.GPU_TRAINING_SPEEDUP * gpu_speed
        cpu, most = float(resources.cpu), units
    else:
        wanted = math.ceil(cells / (thr * budget_s)) if thr and budget_s else 1
        paid = math.ceil(memory / GIB_PER_VCPU)
        cpu = float(min(MAX_TRAIN_VCPU, max(resources.cpu, wanted, paid)))
        units, most = cpu, float(MAX_TRAIN_VCPU)
    seconds = cells / (thr * units) if thr else 0.0
    hours = clean(seconds / 3600 + START_UP_HOURS, 4)
    fits = hours * waves * 60 <= window_minutes and memory <= MAX_TRAIN_MEMORY_GIB
    sampled = f"min({full}, max_rows {max_rows}) = {rows}" if max_rows else f"{rows}"
    rec.add(
        f"training.{model.name}.job",
        f"{fmt(cpu)} vCPU, {fmt(memory)} GiB, {fmt(hours * 60)} min",
        formula=[
            "rows = rows_per_day × lookback (÷ shards), ≤ max_rows",
            f"vCPU = min({MAX_TRAIN_VCPU}, max(resources.cpu, ceil(rows × features / "
            f"(throughput × window × {WINDOW_SHARE} / waves)), "
            f"ceil(memory / {GIB_PER_VCPU} GiB)))",
            f"memory = rows × features × bytes × {fmt(calibration.MATRIX_OVERHEAD)} "
            f"+ {fmt(RUNTIME_MEMORY_GIB)} GiB",
            "minutes = rows × features / (throughput × vCPU)",
        ],
        computed=[
            f"rows {sampled}",
            f"{rows} × {features} = {fmt(cells)} cells",
            f"{fmt(cells)} / ({fmt(thr)} × {fmt(units)}) = {fmt(seconds / 60)} min "
            "+ 5 min start-up",
            f"matrix {fmt(matrix_gib)} GiB",
            f"window {fmt(window_minutes)} min / {count(waves, 'waves')}",
        ],
        inputs={
            "throughput_per_vcpu": thr,
            "features": features,
            "rows_per_shard": rows,
            "window_minutes": clean(window_minutes),
            "calibration_date": calibration.TRAINING_CALIBRATION_DATE,
        },
        sources=[
            ("data", "sources"),
            ("training", "lookback_days"),
            ("training", "max_rows"),
            ("training", "cadence"),
            ("models", index, "resources"),
        ],
        reason=f"throughput is an estimate (table of {calibration.TRAINING_CALIBRATION_DATE}, "
        f"{model.framework}/{kind}/{model.size}); the job finishes in half the window so a "
        "failed run can retry; this is the least a CPU pod gets: on a cloud's training pool it "
        "takes the cores of the whole nodes it holds (the job's placement)" + note,
    )
    fit_rows = (
        None if fits else _rows_that_fit(thr, most, budget_s, features, bytes_per_cell, in_memory)
    )
    return TrainingSize(
        rows_per_shard=rows,
        features=features,
        cpu=cpu,
        # A job too large for any node is W521's to report; its pod asks for the largest.
        memory_gib=min(memory, float(MAX_TRAIN_MEMORY_GIB)),
        gpu=gpu,
        hours_per_shard=hours,
        fits=fits,
        fit_rows=fit_rows,
        run_minutes=hours * waves * 60,
        matrix_memory_gib=memory,
    )


def _size_fine_tuning(
    rec: Recorder, model: ModelPlan, llm: LlmPlan, rows: int, window_minutes: float
) -> TrainingSize:
    """A language model's run: GPU-bound, one epoch over the rows (:mod:`..llm.fine_tuning`)."""
    job = fine_tuning_job(rec, model.name, llm, rows)
    fits = job.hours * 60 <= window_minutes
    budget_s = window_minutes * 60 * WINDOW_SHARE
    return TrainingSize(
        rows_per_shard=rows,
        features=1,
        cpu=job.cpu,
        memory_gib=job.memory_gib,
        gpu=job.gpus,
        hours_per_shard=job.hours,
        fits=fits,
        fit_rows=None if fits else rows_that_fit(llm, budget_s),
        run_minutes=job.hours * 60,
        matrix_memory_gib=job.memory_gib,
    )


def _rows_that_fit(
    thr: float, most: float, budget_s: float, features: int, bytes_per_cell: float, memory: bool
) -> int:
    """Rows one job can read and still finish in the window (and fit a node's memory)."""
    by_time = (thr * most * (budget_s - START_UP_HOURS * 3600)) / features
    by_memory = (
        (MAX_TRAIN_MEMORY_GIB - RUNTIME_MEMORY_GIB) * 2**30 / (features * bytes_per_cell)
        if memory and bytes_per_cell
        else math.inf
    )
    return max(0, math.floor(min(by_time, by_memory)))


def _warn(
    rec: Recorder,
    model: ModelPlan,
    minutes: float,
    window: float,
    memory: float,
    fit_rows: int,
    max_rows: int | None,
) -> None:
    problem = (
        f"{fmt(minutes)} min of training per run do not fit the {fmt(window)} min window "
        "between runs"
        if minutes > window
        else f"its {fmt(memory)} GiB training matrix fits no node ({MAX_TRAIN_MEMORY_GIB} GiB)"
    )
    fix = [set_value(("training", "max_rows"), fit_rows)] if fit_rows >= 1000 else []
    if fit_rows >= 1000:
        hint = (
            f"set training.max_rows to {fit_rows} (rows sampled per training job), "
            "or a longer cadence"
        )
    else:
        hint = "choose a longer cadence, a shorter lookback_days or a smaller model"
    rec.warn(
        "W521",
        f"model {model.name}: {problem}"
        + (f" (already sampled to {max_rows} rows)" if max_rows else ""),
        ("training", "max_rows") if max_rows else ("training", "lookback_days"),
        hint=hint,
        fix=fix,
    )


def with_training_resources(
    models: tuple[ModelPlan, ...], plans: tuple[TrainingModelPlan, ...]
) -> tuple[ModelPlan, ...]:
    """Models whose train (and optimise) steps request the sized vCPU and memory."""
    by_name = {p.name: p for p in plans}
    out = []
    for model in models:
        plan = by_name.get(model.name)
        if plan is None or not plan.trainable:
            out.append(model)
            continue
        steps = tuple(
            StepPlan(name=s.name, cpu=plan.cpu, memory_gib=plan.memory_gib, gpu=s.gpu)
            if s.name in ("train", "optimize")
            else s
            for s in model.steps
        )
        out.append(dataclasses.replace(model, steps=steps))
    return tuple(out)


def warn_unfit(
    spec: Spec,
    rec: Recorder,
    models: tuple[ModelPlan, ...],
    sizes: Sequence[TrainingSize],
    window_minutes: float,
) -> None:
    """W521 for every model whose job misses its window or fits no node.

    ``training.max_rows`` is one setting for every model, so each hint names the smallest
    ``max_rows`` that fits them all, and following it clears every model's W521 at once.
    """
    unfit = [(m, s) for m, s in zip(models, sizes, strict=True) if s.fit_rows is not None]
    if not unfit:
        return
    suggest = min(s.fit_rows for _, s in unfit if s.fit_rows is not None)
    for model, size in unfit:
        _warn(
            rec,
            model,
            size.run_minutes,
            window_minutes,
            size.matrix_memory_gib,
            suggest,
            spec.training.max_rows,
        )
