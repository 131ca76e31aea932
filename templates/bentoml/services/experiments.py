"""Sticky A/B assignment: the same unit always lands in the same arm of an experiment.

Built from ``plan.json``'s ``serving.experiments``. A unit (the experiment's ``unit`` field of
the request, a user id say) is hashed with SHA-256, never Python's ``hash`` (salted per
process, so two workers would disagree), into two buckets in ``[0, 10000)``:

* the enrolment bucket, from ``"traffic"``, the experiment's salt and the unit id: the unit
  takes part when it falls below ``traffic_percent`` of the buckets; a unit outside gets the
  control (the first variant) with ``enrolled=False`` and counts in no arm's readout;
* the arm bucket, from the salt and the unit id: arms take consecutive ranges of
  ``split_percent`` each, in declared order.

Two independent hashes mean raising ``traffic_percent`` enrols more units without moving an
enrolled unit to another arm, and a new salt reshuffles everybody (a new experiment). The
variants' ``model``/``stage``/``ensemble`` say what an arm changes; the service applies them.
Standard library only: this runs on the request path of every prediction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BUCKETS",
    "Assignment",
    "Experiment",
    "Variant",
    "assign",
    "assign_row",
    "bucket",
    "experiments_from_plan",
]

BUCKETS = 10_000
"""Buckets a unit hashes into: a split is exact to 0.01 percent."""


def bucket(*parts: str) -> int:
    """A bucket in ``[0, BUCKETS)`` that depends only on ``parts`` (stable across processes).

    The parts are joined with NUL, which no salt or id contains in practice, so ``("ab", "c")``
    and ``("a", "bc")`` hash differently. Text the codec cannot encode (lone surrogates) is
    kept byte for byte, so no unit id raises.
    """
    data = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") % BUCKETS


@dataclass(frozen=True)
class Variant:
    """One arm: its share of the experiment's traffic and what it changes."""

    name: str
    split_percent: float
    model: str | None = None
    stage: str = "production"
    ensemble: Mapping[str, float] | None = None
    description: str | None = None


@dataclass(frozen=True)
class Experiment:
    """A randomised trial: its unit field, salt, enrolled share and arms (the first: control)."""

    name: str
    unit: str
    salt: str
    traffic_percent: float
    variants: tuple[Variant, ...]
    metric: str = ""
    #: Share of enrolled requests also scored with the other arm (the saturation sample).
    disagreement_sample_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError(f"experiment {self.name!r} has no variants")
        if not 0 < self.traffic_percent <= 100:
            raise ValueError(f"experiment {self.name!r}: traffic_percent must be in (0, 100]")
        if any(v.split_percent < 0 for v in self.variants) or not any(
            v.split_percent > 0 for v in self.variants
        ):
            raise ValueError(f"experiment {self.name!r}: splits must be >= 0, one above 0")

    @property
    def control(self) -> Variant:
        """The first variant: what units outside the experiment get."""
        return self.variants[0]

    def variant(self, name: str) -> Variant:
        """The variant called ``name``.

        Raises:
            KeyError: the experiment has no such variant.
        """
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(f"experiment {self.name!r} has no variant {name!r}")


@dataclass(frozen=True)
class Assignment:
    """Which arm a unit is in; ``enrolled`` is False for units outside the experiment."""

    name: str
    variant: str
    enrolled: bool


def assign(experiment: Experiment, unit_id: str) -> Assignment:
    """The unit's arm: the same ``unit_id`` always gets the same answer (see module doc)."""
    enrolment = bucket("traffic", experiment.salt, unit_id)
    if enrolment >= experiment.traffic_percent * (BUCKETS / 100):
        return Assignment(experiment.name, experiment.control.name, False)
    total = sum(v.split_percent for v in experiment.variants)
    position = bucket(experiment.salt, unit_id) * total / BUCKETS
    edge = 0.0
    chosen = experiment.variants[-1]
    for variant in experiment.variants:
        edge += variant.split_percent
        if position < edge:
            chosen = variant
            break
    return Assignment(experiment.name, chosen.name, True)


def assign_row(experiment: Experiment, row: Mapping[str, object]) -> Assignment:
    """The arm of the request's unit; a request without a unit id is not enrolled."""
    unit = row.get(experiment.unit)
    if unit is None or unit == "":
        return Assignment(experiment.name, experiment.control.name, False)
    return assign(experiment, str(unit))


def _variant(data: Mapping[str, Any]) -> Variant:
    ensemble = data.get("ensemble")
    return Variant(
        name=str(data["name"]),
        split_percent=float(data["split_percent"]),
        model=data.get("model"),
        stage=str(data.get("stage", "production")),
        ensemble=None if ensemble is None else {str(m): float(w) for m, w in ensemble.items()},
        description=data.get("description"),
    )


def experiments_from_plan(serving: Mapping[str, Any]) -> tuple[Experiment, ...]:
    """The experiments of ``plan.json``'s ``serving`` section, in declared order."""
    return tuple(
        Experiment(
            name=str(item["name"]),
            unit=str(item["unit"]),
            salt=str(item.get("salt", item["name"])),
            traffic_percent=float(item.get("traffic_percent", 100)),
            variants=tuple(_variant(v) for v in item["variants"]),
            metric=str(item.get("metric", "")),
            disagreement_sample_fraction=float(item.get("disagreement_sample_fraction", 0.0)),
        )
        for item in serving.get("experiments", ())
    )
