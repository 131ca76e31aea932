# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Resolve each model: its source, concrete inputs, partitions and shards, gates, resources.

``view.*`` becomes the view's feature names, a partition column's cardinality is looked up
(an entity's key cardinality, or a category's value count) and turned into training shards,
gates are merged with guardrails, and every pipeline step gets CPU, memory and GPU figures
so the Kubernetes stack configuration is generated rather than guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from mlopsgen.plan import calibration
from mlopsgen.plan.gates import merge_gates
from mlopsgen.plan.ir.data import CalibrationPlan, InputPlan, ModelPlan, PartitionPlan, StepPlan
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.llm.capacity import engine_rps
from mlopsgen.plan.llm.model import OCCUPANCY
from mlopsgen.plan.llm.options import host_pod_memory_gib
from mlopsgen.plan.llm.planner import LLM_TASKS
from mlopsgen.plan.record import Recorder, clean, count, fmt
from mlopsgen.spec.models.data import FeatureDef, FeatureView, Source
from mlopsgen.spec.models.ml import ModelSpec
from mlopsgen.spec.models.root import Spec

_AGG_TYPES = {"count": "integer", "count_distinct": "integer"}


def feature_type(spec: Spec, view: FeatureView, feature: FeatureDef) -> str:
    """The value type of an aggregated feature, in the schema's type vocabulary."""
    if feature.agg in _AGG_TYPES:
        return _AGG_TYPES[feature.agg]
    if feature.agg == "last" and feature.column is not None:
        column = _source(spec, view.source).schema_.get(feature.column)
        return column.type if column is not None else "float"
    return "float"


def _source(spec: Spec, name: str) -> Source:
    return next(s for s in spec.data.sources if s.name == name)


def model_source(spec: Spec, model: ModelSpec) -> Source:
    """The source a model trains on: the one holding its target, else its first raw input."""
    wanted = [model.target] if model.target else []
    wanted += [i for i in model.inputs if "." not in i]
    for column in wanted:
        for source in spec.data.sources:
            if column in source.schema_:
                return source
    for ref in model.inputs:
        view = next((v for v in spec.features.views if v.name == ref.split(".")[0]), None)
        if view is not None:
            return _source(spec, view.source)
    return spec.data.sources[0]


def resolve_inputs(spec: Spec, model: ModelSpec, source: Source) -> tuple[InputPlan, ...]:
    """Concrete inputs in spec order: ``view.*`` expanded, each with its type."""
    views = {v.name: v for v in spec.features.views}
    out: list[InputPlan] = []
    for ref in model.inputs:
        head, _, tail = ref.partition(".")
        if tail and head in views:
            view = views[head]
            chosen = view.features if tail == "*" else [f for f in view.features if f.name == tail]
            for feat in chosen:
                out.append(
                    InputPlan(
                        name=f"{view.name}.{feat.name}",
                        kind="feature",
                        type=feature_type(spec, view, feat),
                        view=view.name,
                        feature=feat.name,
                    )
                )
            continue
        owner = source if ref in source.schema_ else _owner(spec, ref)
        kind = owner.schema_[ref].type if owner is not None else "string"
        out.append(InputPlan(name=ref, kind="column", type=kind, column=ref))
    return tuple(out)


def _owner(spec: Spec, column: str) -> Source | None:
    return next((s for s in spec.data.sources if column in s.schema_), None)


def partition_plan(
    spec: Spec, rec: Recorder, index: int, model: ModelSpec, source: Source
) -> PartitionPlan | None:
    """Cardinality of the partition column and the training shards it needs."""
    column = model.partition_by
    if column is None:
        return None
    cardinality, origin, where, values = _cardinality(spec, rec, index, model, source)
    per_shard = spec.training.parallelism.partitions_per_shard
    per_shard = per_shard or calibration.PARTITIONS_PER_SHARD[model.framework]
    shards = math.ceil(cardinality / per_shard)
    workers = min(shards, spec.training.parallelism.max_workers)
    waves = math.ceil(shards / workers)
    rec.add(
        f"training.{model.name}.shards",
        shards,
        unit="shards",
        formula="ceil(partitions / partitions_per_shard); waves = ceil(shards / max_workers)",
        computed=[
            f"ceil({cardinality} / {per_shard}) = {shards}",
            f"ceil({shards} / {spec.training.parallelism.max_workers}) = "
            f"{count(waves, 'waves')} of ≤ {workers}",
        ],
        inputs={
            "partitions": cardinality,
            "partitions_per_shard": per_shard,
            "max_workers": spec.training.parallelism.max_workers,
        },
        sources=[("models", index, "partition_by"), where, ("training", "parallelism")],
        reason=f"one model per {column} value ({origin}); shards group them so each "
        "worker amortises its start-up and data read",
    )
    return PartitionPlan(
        column=column,
        cardinality=cardinality,
        cardinality_from=origin,
        values=values,
        partitions_per_shard=per_shard,
        shards=shards,
        concurrent_workers=workers,
        waves=waves,
    )


def _cardinality(
    spec: Spec, rec: Recorder, index: int, model: ModelSpec, source: Source
) -> tuple[int, str, tuple[str | int, ...], tuple[str, ...] | None]:
    """How many partitions: an entity's key cardinality, else the category's value count."""
    column = model.partition_by or ""
    entity = next((e for e in spec.features.entities if e.key == column), None)
    owner = source if column in source.schema_ else (_owner(spec, column) or source)
    field = owner.schema_.get(column)
    values = tuple(field.values) if field is not None and field.values else None
    if entity is not None:
        where: tuple[str | int, ...] = ("features", "entities", _entity_index(spec, entity.name))
        return entity.cardinality, f"entity {entity.name} cardinality", where, values
    if values is not None:
        where = ("data", "sources", _source_index(spec, owner.name), "schema", column)
        return len(values), f"{len(values)} category values of {column}", where, values
    rec.fail(
        "E504",
        f"model {model.name} is partitioned by {column!r}, whose cardinality is unknown",
        ("models", index, "partition_by"),
        hint=f"declare an entity keyed by {column} with a cardinality, or list its values",
    )
    return 1, "unknown (1 assumed)", ("models", index, "partition_by"), None


def _entity_index(spec: Spec, name: str) -> int:
    return next(i for i, e in enumerate(spec.features.entities) if e.name == name)


def _source_index(spec: Spec, name: str) -> int:
    return next(i for i, s in enumerate(spec.data.sources) if s.name == name)


def pipeline_steps(model: ModelSpec, trainable: bool) -> tuple[StepPlan, ...]:
    """Per-step resources: the train step from the spec, the others sized to their work.

    Evaluation and optimisation of GPU-trained models run on the GPU too, since they
    execute the network; data steps never need one.
    """
    cpu, memory, gpu = model.resources.cpu, model.resources.memory_gib, model.gpu.training
    eval_gpu = gpu if model.framework == "pytorch" else 0
    steps = [StepPlan(name="ingest", cpu=1, memory_gib=2, gpu=0)]
    steps.append(StepPlan(name="validate", cpu=1, memory_gib=2, gpu=0))
    if trainable:
        steps.append(StepPlan(name="features", cpu=2, memory_gib=8, gpu=0))
        steps.append(StepPlan(name="train", cpu=cpu, memory_gib=memory, gpu=gpu))
    steps.append(StepPlan(name="evaluate", cpu=2, memory_gib=max(4, memory / 2), gpu=eval_gpu))
    optimised = model.optimization.quantization != "none" or model.optimization.pruning_sparsity > 0
    if trainable and optimised:
        steps.append(StepPlan(name="optimize", cpu=cpu, memory_gib=memory, gpu=eval_gpu))
    steps.append(StepPlan(name="register", cpu=0.5, memory_gib=1, gpu=0))
    return tuple(steps)


def language_steps(llm: LlmPlan, trainable: bool) -> tuple[StepPlan, ...]:
    """A fine-tuning pipeline's steps: data steps on CPU; fine-tuning and evaluation (which
    runs the network) on the plan's fine-tuning GPUs, with host memory for the weights."""
    gpus = llm.fine_tuning_gpus or 0
    memory = float(host_pod_memory_gib(llm))
    cpu = float(max(4, 2 * gpus))
    steps = [StepPlan(name="ingest", cpu=1, memory_gib=2, gpu=0)]
    steps.append(StepPlan(name="validate", cpu=1, memory_gib=2, gpu=0))
    if trainable:
        steps.append(StepPlan(name="train", cpu=cpu, memory_gib=memory, gpu=gpus))
    steps.append(StepPlan(name="evaluate", cpu=cpu, memory_gib=memory, gpu=gpus))
    steps.append(StepPlan(name="register", cpu=0.5, memory_gib=1, gpu=0))
    return tuple(steps)


def _calibration(
    rec: Recorder, index: int, model: ModelSpec, gpu_class: str | None, served: bool
) -> CalibrationPlan:
    """The model's serving figures, recorded with where they came from."""
    cal = calibration.model_calibration(model, gpu_class)
    where = "the spec's measured calibration" if cal.origin == "spec" else f"table {cal.table_key}"
    reason = "the planning figure until a load test measures it; set calibration: to override"
    limit = calibration.outside_table(model) if model.calibration is None else None
    if limit is not None:
        rec.fail(
            "E506",
            f"model {model.name} has {model.parameter_count} parameters; the calibration table "
            f"models {model.framework} {calibration.workload(model.task)} models up to {limit} "
            "(encoder and classifier classes), not generative models that answer token by "
            "token: the plan will not size it from the table",
            ("models", index, "parameter_count"),
            hint="load-test the model and set calibration: {service_time_ms: ..., "
            "per_replica_rps: ...} with the measured figures",
        )
    elif cal.assumed:
        reason = (
            f"an assumption: the table has no measured entry for {cal.table_key} and scales "
            "it from a measured size; " + reason
        )
    if limit is None and cal.assumed and served:
        rec.warn(
            "W523",
            f"model {model.name}: {fmt(cal.service_time_ms)} ms and {fmt(cal.per_replica_rps)} "
            f"rps are assumptions, not measurements (no measured entry for {cal.table_key})",
            ("models", index, "size"),
            hint=f"load-test {model.name} and set calibration: {{service_time_ms: ..., "
            "per_replica_rps: ...}",
        )
    rec.add(
        f"models.{model.name}.service_time_ms",
        cal.service_time_ms,
        unit="ms",
        formula="calibration[framework, workload, size] (× GPU class, ÷ quantisation), "
        "unless measured",
        computed=[
            f"{where}: {fmt(cal.service_time_ms)} ms, {fmt(cal.per_replica_rps)} rps/"
            f"{'GPU' if cal.device == 'gpu' else 'replica'}",
            *cal.adjustments,
        ],
        inputs={"framework": model.framework, "size": model.size, "device": cal.device},
        sources=[("models", index, "framework"), ("models", index, "size")]
        + ([("models", index, "calibration")] if model.calibration else []),
        reason=reason,
    )
    return cal


def served_models(spec: Spec) -> list[str]:
    """Models loaded by the service: the request path plus a routing fallback."""
    names = list(spec.serving.models)
    routing = spec.serving.routing
    if routing is not None and routing.fallback and routing.fallback not in names:
        names.append(routing.fallback)
    return names


def llm_calibration(llm: LlmPlan | None) -> CalibrationPlan:
    """A language model's serving figures, from its LLM plan (per engine group).

    A model the LLM planner refused (an error says why) gets nominal figures so the rest of
    the plan stays computable; the build stops on the error.
    """
    if llm is None:
        return CalibrationPlan(
            device="gpu",
            service_time_ms=1000.0,
            per_replica_rps=1.0,
            memory_mb=0.0,
            origin="llm",
            table_key="llm/unplanned",
            adjustments=("no GPU option serves the model: see the planning error",),
        )
    return CalibrationPlan(
        device="gpu",
        service_time_ms=llm.e2e_mean_ms,
        per_replica_rps=clean(engine_rps(llm), 6),
        memory_mb=clean(host_pod_memory_gib(llm) * 1024, 6),
        origin="llm",
        table_key=f"llm/{llm.gpu_class}/tp{llm.tensor_parallel}",
        adjustments=(
            f"{llm.max_num_seqs} sequences per engine at {OCCUPANCY:g} occupancy, "
            f"{llm.e2e_mean_ms:g} ms mean end-to-end",
        ),
    )


def plan_models(
    spec: Spec,
    rec: Recorder,
    gpu_class: str | None,
    llm_plans: Mapping[str, LlmPlan] | None = None,
) -> tuple[ModelPlan, ...]:
    """Resolve every model of the spec, in spec order."""
    served = set(served_models(spec))
    llm_plans = llm_plans or {}
    plans = []
    for index, model in enumerate(spec.models):
        llm = llm_plans.get(model.name)
        language = model.task in LLM_TASKS
        source = model_source(spec, model)
        trainable = model.framework not in calibration.PRETRAINED_FRAMEWORKS
        target = source.schema_.get(model.target) if model.target else None
        opt = model.optimization
        plans.append(
            ModelPlan(
                name=model.name,
                task=model.task,
                framework=model.framework,
                size=model.size,
                description=model.description,
                source=source.name,
                target=model.target,
                target_type=target.type if target is not None else None,
                inputs=resolve_inputs(spec, model, source),
                partition=partition_plan(spec, rec, index, model, source),
                gates=merge_gates(spec, rec, index, model),
                gpu_training=(llm.fine_tuning_gpus or 0) if llm else model.gpu.training,
                gpu_serving=llm.tensor_parallel if llm else model.gpu.serving,
                quantization=opt.quantization,
                pruning_sparsity=opt.pruning_sparsity,
                max_accuracy_drop=opt.max_accuracy_drop,
                augmentation=tuple(model.augmentation),
                horizon_days=model.horizon_days,
                seasonality_days=tuple(model.seasonality_days),
                embedding_dim=model.embedding_dim,
                params=dict(sorted(model.params.items())),
                calibration=llm_calibration(llm)
                if language
                else _calibration(rec, index, model, gpu_class, model.name in served),
                trainable=trainable,
                served=model.name in served,
                steps=language_steps(llm, trainable) if llm else pipeline_steps(model, trainable),
                llm=llm,
            )
        )
    return tuple(plans)
