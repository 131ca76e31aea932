"""Promotion gates: the model's own gates merged with the business guardrails.

A guardrail (fraud: false-positive rate at most 1 %) must hold before any model that can be
measured on it is promoted, so it becomes a gate of every such model. When the model already
gates on the same metric, the tighter bound wins and the model's slice (``by``) and operating
point (``at_recall``) are kept. A guardrail on a business metric (loss in USD) has no offline
measurement and stays a live alert only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from mlopsgen.plan.ir.data import GatePlan
from mlopsgen.plan.record import Recorder, fmt
from mlopsgen.spec.models.ml import ModelSpec
from mlopsgen.spec.models.root import Guardrail, Spec

_CLASSIFICATION = frozenset(
    {
        "binary_classification",
        "multiclass_classification",
        "image_classification",
        "sentiment_analysis",
        "language_identification",
        "object_detection",
    }
)
_EXACT: dict[str, frozenset[str]] = {
    "accuracy": _CLASSIFICATION,
    "roc_auc": _CLASSIFICATION,
    "pr_auc": _CLASSIFICATION,
    "log_loss": _CLASSIFICATION,
    "false_positive_rate": _CLASSIFICATION,
    "false_negative_rate": _CLASSIFICATION,
    "precision": _CLASSIFICATION | {"entity_recognition"},
    "recall": _CLASSIFICATION | {"entity_recognition"},
    "f1": _CLASSIFICATION | {"entity_recognition"},
    "macro_f1": _CLASSIFICATION | {"entity_recognition"},
    "mape": frozenset({"forecasting", "regression"}),
    "smape": frozenset({"forecasting", "regression"}),
    "mae": frozenset({"forecasting", "regression"}),
    "rmse": frozenset({"forecasting", "regression"}),
    "r2": frozenset({"regression"}),
}
_PREFIX: dict[str, frozenset[str]] = {
    "ndcg_at_": frozenset({"ranking"}),
    "map_at_": frozenset({"ranking", "retrieval"}),
    "recall_at_": frozenset({"retrieval", "ranking"}),
    "precision_at_": frozenset({"retrieval", "ranking"}),
}


def metric_applies(metric: str, task: str) -> bool:
    """Whether a model of ``task`` can be evaluated offline on ``metric``."""
    if metric in _EXACT:
        return task in _EXACT[metric]
    return any(metric.startswith(p) and task in tasks for p, tasks in _PREFIX.items())


def merge_gates(spec: Spec, rec: Recorder, index: int, model: ModelSpec) -> tuple[GatePlan, ...]:
    """The model's promotion gates after applying every guardrail it can be measured on."""
    gates = [
        GatePlan(
            metric=g.metric,
            min=g.min,
            max=g.max,
            at_recall=g.at_recall,
            by=g.by,
            origin="model",
        )
        for g in model.gates
    ]
    for g_index, guard in enumerate(spec.business.guardrails):
        own = [i for i, g in enumerate(gates) if g.metric == guard.metric]
        if not own and (model.target is None or not metric_applies(guard.metric, model.task)):
            continue
        source = ("business", "guardrails", g_index)
        if own:
            i = own[0]
            gates[i] = _tighten(gates[i], guard)
            paths = [source, ("models", index, "gates", _gate_index(model, guard.metric))]
        else:
            gates.append(_from_guardrail(guard))
            paths = [source]
        _record(rec, model, gates[own[0]] if own else gates[-1], guard, paths)
    return tuple(sorted(gates, key=lambda g: (g.metric, g.by or "")))


def _gate_index(model: ModelSpec, metric: str) -> int:
    return next(i for i, g in enumerate(model.gates) if g.metric == metric)


def _from_guardrail(guard: Guardrail) -> GatePlan:
    return GatePlan(
        metric=guard.metric,
        min=guard.min,
        max=guard.max,
        at_recall=None,
        by=None,
        origin="guardrail",
    )


def _tighten(gate: GatePlan, guard: Guardrail) -> GatePlan:
    """The tighter of a model gate and a guardrail on the same metric.

    Bounds in opposite directions (a model floor, a guardrail ceiling) are both kept.
    """
    low = _pick(gate.min, guard.min, max)
    high = _pick(gate.max, guard.max, min)
    return dataclasses.replace(gate, min=low, max=high, origin="model+guardrail")


def _pick(
    ours: float | None, theirs: float | None, tighter: Callable[[float, float], float]
) -> float | None:
    if ours is None or theirs is None:
        return theirs if ours is None else ours
    return tighter(ours, theirs)


def _bound(min_value: float | None, max_value: float | None) -> str:
    parts = []
    if min_value is not None:
        parts.append(f"≥ {fmt(min_value)}")
    if max_value is not None:
        parts.append(f"≤ {fmt(max_value)}")
    return " and ".join(parts)


def _record(
    rec: Recorder,
    model: ModelSpec,
    gate: GatePlan,
    guard: Guardrail,
    paths: list[tuple[str | int, ...]],
) -> None:
    own = next((g for g in model.gates if g.metric == guard.metric), None)
    model_bound = _bound(own.min, own.max) if own else "none"
    guard_bound = _bound(guard.min, guard.max)
    merged = _bound(gate.min, gate.max)
    changed = own is not None and (own.min, own.max) != (gate.min, gate.max)
    if own is None:
        reason = f"{model.task} can be measured on {guard.metric}: the guardrail gates promotion"
    elif changed:
        reason = f"the guardrail is stricter than the model's own gate ({model_bound}): it wins"
    else:
        reason = "the model's gate is at least as strict as the guardrail"
    rec.add(
        f"models.{model.name}.gates.{guard.metric}",
        merged,
        formula="tighter(model gate, guardrail): max of minimums, min of maximums",
        computed=f"tighter({model_bound}, {guard_bound}) = {merged}",
        inputs={"model_gate": model_bound, "guardrail": guard_bound},
        sources=paths,
        reason=reason,
    )
