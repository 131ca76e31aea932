"""The Plan: a frozen, versioned IR computed from a validated spec.

Renderers read only the Plan, never the spec: every default is applied, every reference
resolved and every derived number decided here, with its formula, inputs, spec location and
reason in :attr:`Plan.decisions`. ``plan_version`` changes whenever a field is renamed or its
meaning changes, so a stored ``plan.json`` can be checked against the renderer reading it.
"""

from __future__ import annotations

import difflib

from mlopsgen.plan.ir.base import DecisionRecord, PlanModel, Scalar, Value
from mlopsgen.plan.ir.data import (
    DataPlan,
    FeaturesPlan,
    FieldPlan,
    ModelPlan,
    SystemPlan,
    TrainingPlan,
)
from mlopsgen.plan.ir.ops import (
    AvailabilityPlan,
    BusinessPlan,
    ComputePlan,
    CostPlan,
    InfrastructurePlan,
    MonitoringPlan,
)
from mlopsgen.plan.ir.serving import ServingPlan

PLAN_VERSION = 1


class Plan(PlanModel):
    """Every decision about one ML system's stack, typed for renderers and explained.

    The typed sections hold the values renderers use (``plan.serving.hpa.min_replicas``,
    ``plan.availability.zones``, ``plan.training.models[0].cron``); ``decisions`` holds the
    derivation of each derived number, sorted by name, for ``mlopsgen plan`` and ``explain``.
    """

    plan_version: int = PLAN_VERSION
    generator_version: str
    """The mlopsgen release that made this plan: provenance for a stored ``plan.json``."""
    system: SystemPlan
    business: BusinessPlan
    data: DataPlan
    features: FeaturesPlan
    models: tuple[ModelPlan, ...]
    training: TrainingPlan
    serving: ServingPlan
    availability: AvailabilityPlan
    compute: ComputePlan
    monitoring: MonitoringPlan
    cost: CostPlan
    infrastructure: InfrastructurePlan
    decisions: tuple[DecisionRecord, ...]

    def decision(self, name: str) -> DecisionRecord:
        """The decision called ``name``.

        Raises:
            KeyError: no decision has that name; the message suggests close names.
        """
        for item in self.decisions:
            if item.name == name:
                return item
        close = difflib.get_close_matches(name, [d.name for d in self.decisions], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no decision named {name!r}{hint}")

    @property
    def language_models(self) -> tuple[ModelPlan, ...]:
        """The models sized as language models (an ``llm`` plan): a stack of these alone is a
        language stack, whose pipelines fine-tune and whose service runs an engine."""
        return tuple(m for m in self.models if m.llm is not None)

    def model(self, name: str) -> ModelPlan:
        """The model plan called ``name`` (KeyError when absent)."""
        for item in self.models:
            if item.name == name:
                return item
        raise KeyError(f"no model {name!r}")


__all__ = [
    "PLAN_VERSION",
    "DecisionRecord",
    "FieldPlan",
    "Plan",
    "Scalar",
    "Value",
]
