"""Checks of models and training: targets, inputs, partitions, gates and triggers.

These are the references the generated training pipeline follows literally: an input that
names no column or feature, a gate on a metric the task cannot produce, or a partition key
whose values cannot be counted would each fail at run time, long after the spec was written.
"""

from __future__ import annotations

from mlopsgen.diagnostics import delete_key, set_value
from mlopsgen.spec.checks.context import CheckContext, suggest
from mlopsgen.spec.checks.metrics import produces, producible, shown
from mlopsgen.spec.models.ml import ModelSpec
from mlopsgen.spec.source_map import SpecPath

#: The frameworks the generated training pipelines implement for each task. A pair outside
#: it would render a stack whose training step cannot run, so it is refused at validation.
SUPPORTED_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "binary_classification": ("sklearn", "xgboost", "lightgbm"),
    "multiclass_classification": ("sklearn", "xgboost", "lightgbm"),
    "regression": ("sklearn", "xgboost", "lightgbm"),
    "anomaly_detection": ("sklearn",),
    "ranking": ("lightgbm",),
    "retrieval": ("pytorch",),
    "image_classification": ("pytorch",),
    "object_detection": (),
    "language_identification": ("langdetect",),
    "sentiment_analysis": ("sklearn",),
    "entity_recognition": ("sklearn",),
    "forecasting": ("statsforecast",),
}

LANGUAGE_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "text_generation": ("transformers",),
    "embedding": ("transformers",),
}
"""Language models are sized by the LLM planner and served by an engine; ``mlopsgen plan``
explains them, and the build renders their stack (LoRA fine-tuning, an engine service)."""

UNSUPERVISED = frozenset({"anomaly_detection", "language_identification", "embedding"})
"""Tasks that train without a label column (anomaly scores, a pre-trained language detector)."""


def check_models(ctx: CheckContext) -> None:
    """Run every per-model check."""
    for m, model in enumerate(ctx.spec.models):
        base: SpecPath = ("models", m)
        _check_framework(ctx, base, model)
        _check_target(ctx, base, model)
        for i, reference in enumerate(model.inputs):
            _check_input(ctx, (*base, "inputs", i), model, reference)
        if model.partition_by is not None:
            _check_partition(ctx, (*base, "partition_by"), model.partition_by)
        for g, gate in enumerate(model.gates):
            gate_path: SpecPath = (*base, "gates", g)
            check_model_metric(ctx, model, gate.metric, (*gate_path, "metric"), "gate")
            if gate.by is not None:
                ctx.require_column(gate.by, (*gate_path, "by"), "the slice of a gate")


def _check_framework(ctx: CheckContext, base: SpecPath, model: ModelSpec) -> None:
    """E333: the task and framework pair is one the training pipelines implement."""
    supported = SUPPORTED_FRAMEWORKS.get(model.task) or LANGUAGE_FRAMEWORKS.get(model.task, ())
    if model.framework in supported:
        return
    if supported:
        hint = f"use framework {' or '.join(supported)} for {model.task}"
        fix = [set_value((*base, "framework"), supported[0])] if len(supported) == 1 else []
    else:
        tasks = sorted(t for t, frameworks in SUPPORTED_FRAMEWORKS.items() if frameworks)
        hint = f"no framework trains {model.task} yet; supported tasks: {', '.join(tasks)}"
        fix = []
    ctx.error(
        "E333",
        f"model {model.name!r}: {model.task} with {model.framework} has no training pipeline",
        (*base, "framework"),
        hint,
        fix=fix,
    )


def _check_target(ctx: CheckContext, base: SpecPath, model: ModelSpec) -> None:
    """E304/E316: supervised models name an existing label column."""
    if model.target is not None:
        ctx.require_column(model.target, (*base, "target"), f"the target of model {model.name!r}")
        return
    if model.task not in UNSUPERVISED:
        labels = [c.name for c in ctx.columns.values() if c.field.role == "label"]
        ctx.error(
            "E316",
            f"model {model.name!r} ({model.task}) learns from labels but names no target",
            (*base, "name"),
            "add `target:` naming the label column" + (f" ({', '.join(labels)})" if labels else ""),
            fix=[set_value((*base, "target"), labels[0])] if len(labels) == 1 else [],
        )


def _check_input(ctx: CheckContext, path: SpecPath, model: ModelSpec, reference: str) -> None:
    """E304/E305/E317: an input is a column, ``view.feature`` or ``view.*``, never the target."""
    if "." not in reference:
        if ctx.require_column(reference, path, f"an input of model {model.name!r}") is None:
            return
        if reference == model.target:
            ctx.error(
                "E317",
                f"model {model.name!r} takes its own target {reference!r} as an input "
                "(label leakage)",
                path,
                "remove the target from `inputs:`; features aggregated from past labels are fine",
                fix=[delete_key(path)],
            )
        return
    view_name, _, feature = reference.partition(".")
    view = ctx.views.get(view_name)
    if view is None or "." in feature or not feature:
        references = [f"{v}.*" for v in ctx.views]
        ctx.error(
            "E305",
            f"input {reference!r} of model {model.name!r} is not a column, "
            "`view.feature` or `view.*` of a defined feature view",
            path,
            suggest(reference, references, "feature views"),
        )
        return
    names = [f.name for f in view.features]
    if feature != "*" and feature not in names:
        ctx.error(
            "E305",
            f"feature view {view_name!r} has no feature {feature!r}",
            path,
            suggest(feature, names, f"features of {view_name!r}")
            + f"; `{view_name}.*` takes them all",
        )


def _check_partition(ctx: CheckContext, path: SpecPath, name: str) -> None:
    """E304/E307: the planner must be able to count the partitions to size training shards."""
    column = ctx.require_column(name, path, "the partition key")
    if column is None:
        return
    field = column.field
    if field.type == "category" and field.values:
        return
    if field.role == "entity":
        if any(e.key == name for e in ctx.entities.values()):
            return
        ctx.error(
            "E307",
            f"partition_by {name!r} is an entity column, but no entity has it as key, "
            "so the number of partitions is unknown",
            path,
            f"declare an entity with `key: {name}` and its `cardinality:`",
        )
        return
    countable = [
        c.name
        for c in ctx.columns.values()
        if (c.field.type == "category" and c.field.values) or c.field.role == "entity"
    ]
    ctx.error(
        "E307",
        f"partition_by {name!r} is a {field.type} column with role {field.role}: the planner "
        "cannot count its partitions",
        path,
        "partition by a category column with `values:` listed or an entity column"
        + (f" ({', '.join(countable)})" if countable else ""),
    )


def check_model_metric(
    ctx: CheckContext, model: ModelSpec, metric: str, path: SpecPath, use: str
) -> None:
    """E312: ``metric`` is one the model's task produces (for gates and quality monitors)."""
    if produces(model.task, metric):
        return
    ctx.error(
        "E312",
        f"{use} metric {metric!r} is not produced by model {model.name!r} ({model.task})",
        path,
        suggest(metric, shown(model.task), f"metrics of {model.task}"),
    )


def check_training(ctx: CheckContext) -> None:
    """E326/E312: continuous retraining has triggers; performance triggers name real metrics."""
    training = ctx.spec.training
    if training.cadence == "continuous" and not training.triggers:
        ctx.error(
            "E326",
            "continuous retraining has no triggers: nothing would ever start a training run",
            ("training", "cadence"),
            "add `triggers:` such as `{kind: drift, threshold: 0.2}` or "
            "`{kind: new_labels, min_rows: 10000}`, or use a schedule such as `daily`",
        )
    tasks = [m.task for m in ctx.models.values()]
    for t, trigger in enumerate(training.triggers):
        if trigger.kind != "performance":
            continue
        if any(produces(task, trigger.metric) for task in tasks):
            continue
        ctx.error(
            "E312",
            f"performance trigger metric {trigger.metric!r} is not produced by any model",
            ("training", "triggers", t, "metric"),
            suggest(trigger.metric, producible(tasks), "metrics the models produce"),
        )
