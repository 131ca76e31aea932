"""An experiment as the plan sized it: unit, metric, arms, alpha and the planned sample.

The read-out takes every number from ``plan.json`` (the same figures the stack README and
the Plan's decisions show), so the test it runs is the test the sample size was planned for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.stack_plan import StackPlan

__all__ = ["ArmSpec", "ExperimentDesign", "experiment_design", "metric_directions"]


@dataclass(frozen=True)
class ArmSpec:
    """A variant and the percentage of enrolled units the plan assigns it."""

    name: str
    split_percent: float


@dataclass(frozen=True)
class ExperimentDesign:
    """The planned experiment; its first arm is control, as the service assigns it."""

    name: str
    unit: str
    metric: str
    metric_kind: str
    direction: str | None
    alpha: float
    power: float
    effect: float
    baseline: float
    sample_size_per_arm: int
    triggered_sample_size_per_arm: int
    expected_disagreement: float | None
    daily_units: int
    traffic_percent: float
    population: int | None
    label_delay_days: float
    max_duration_days: int
    arms: tuple[ArmSpec, ...]

    @property
    def control(self) -> ArmSpec:
        """The arm every other arm is compared with."""
        return self.arms[0]

    @property
    def treatments(self) -> tuple[ArmSpec, ...]:
        """The arms compared with control."""
        return self.arms[1:]

    @property
    def smallest_arm_share(self) -> float:
        """The enrolled share of the arm that fills slowest: it sets every duration."""
        total = sum(arm.split_percent for arm in self.arms)
        return min(arm.split_percent for arm in self.arms) / total


def _design(data: dict[str, Any]) -> ExperimentDesign:
    population = data.get("population")
    return ExperimentDesign(
        name=str(data["name"]),
        unit=str(data["unit"]),
        metric=str(data["metric"]),
        metric_kind=str(data["metric_kind"]),
        direction=data.get("direction"),
        alpha=float(data["alpha"]),
        power=float(data["power"]),
        effect=float(data["effect"]),
        baseline=float(data["baseline"]),
        sample_size_per_arm=int(data["sample_size_per_arm"]),
        triggered_sample_size_per_arm=int(
            data.get("triggered_sample_size_per_arm") or data["sample_size_per_arm"]
        ),
        expected_disagreement=data.get("expected_disagreement"),
        daily_units=int(data["daily_units"]),
        traffic_percent=float(data["traffic_percent"]),
        population=int(population) if population is not None else None,
        label_delay_days=float(data.get("label_delay_days") or 0.0),
        max_duration_days=int(data["max_duration_days"]),
        arms=tuple(
            ArmSpec(name=str(v["name"]), split_percent=float(v["split_percent"]))
            for v in data["variants"]
        ),
    )


def experiment_design(plan: StackPlan, name: str) -> ExperimentDesign:
    """The plan's experiment ``name``.

    Raises:
        KeyError: the plan has no such experiment (the message lists those it has).
    """
    experiments = plan.raw["serving"].get("experiments") or []
    for data in experiments:
        if data["name"] == name:
            return _design(data)
    known = ", ".join(sorted(str(e["name"]) for e in experiments)) or "none"
    raise KeyError(f"the plan has no experiment {name!r} (experiments: {known})")


def metric_directions(plan: StackPlan) -> dict[str, str | None]:
    """Each business metric's desired direction (``increase``/``decrease``), by name."""
    metrics = (plan.raw.get("business") or {}).get("metrics") or []
    return {str(m["name"]): m.get("direction") for m in metrics}
