"""The decision engine: business rules around a weighted ensemble, an anomaly check and thresholds.

Built from ``plan.json``'s ``serving.decision`` (ensemble weights, the anomaly model, the score
thresholds of each action) and the generated ``services/rules.py``. For one request row:

1. Every rule is checked (a rule reads only the request and its online features, so the
   rules run before any model). A ``decline`` rule decides alone: the models need not run,
   and when their scores were computed anyway the ensemble score is still reported.
2. The ensemble score is the weighted mean of the members' scores (weights normalised to
   sum 1; an experiment arm may bring weights of its own). The most severe action whose
   threshold the score reaches is the model's verdict (``approve`` when none is reached).
3. The anomaly model's flag raises the verdict to ``review``: an unusual request the
   classifiers call safe is a pattern they were not trained on, so a person looks at it; an
   anomaly alone never declines, because being unusual is not evidence of fraud.
4. An ``approve`` rule (an allow list) overrides the model's verdict, not other rules.
5. ``review`` and ``flag`` rules raise the verdict to their action, never lower it.

Actions by severity: approve < flag < review < decline. The outcome does not depend on the
order rules fire in, and :class:`Decision` names every rule that fired, in the spec's order.
Standard library only: this runs on the request path of every prediction.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

__all__ = [
    "ACTIONS",
    "ANOMALY_ACTION",
    "ANOMALY_FLAG",
    "Decision",
    "DecisionPolicy",
    "RuleCheck",
    "normalised",
    "rule_row",
]

ACTIONS = ("approve", "flag", "review", "decline")
"""Every action a decision can take, from the mildest to the most severe."""
_SEVERITY = {action: rank for rank, action in enumerate(ACTIONS)}

ANOMALY_ACTION = "review"
"""What a request the anomaly model flags gets at least."""
ANOMALY_FLAG = 0.5
"""The anomaly model's score is its flag (1.0 or 0.0); at or above this it counts as set."""


class RuleCheck(Protocol):
    """What the decision engine needs of a rule (``services.rules.Rule`` provides it)."""

    @property
    def name(self) -> str:
        """The rule's name, reported when it fires."""
        ...

    @property
    def action(self) -> str:
        """One of :data:`ACTIONS`."""
        ...

    def fires(self, row: Mapping[str, object]) -> bool:
        """Whether the rule fires for the row; never raises."""
        ...


@dataclass(frozen=True)
class Decision:
    """The outcome for one request row.

    ``score`` is the ensemble score, or None when a ``decline`` rule decided before any model
    score was given. ``anomalous`` is the anomaly model's flag (None when it was not
    consulted). ``rules_fired`` names every rule that fired, in the spec's order.
    """

    score: float | None
    decision: str
    rules_fired: tuple[str, ...]
    anomalous: bool | None = None


def normalised(weights: Mapping[str, float]) -> Mapping[str, float]:
    """The weights scaled to sum 1, read-only.

    Raises:
        ValueError: a weight is negative or not finite, or they sum to zero.
    """
    for model, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"ensemble weight of {model!r} must be finite and >= 0: {weight!r}")
    total = math.fsum(weights.values())
    if total <= 0:
        raise ValueError(f"ensemble weights must not all be zero: {dict(weights)!r}")
    return MappingProxyType({model: weight / total for model, weight in weights.items()})


def rule_row(
    request_row: Mapping[str, object], features: Mapping[str, object]
) -> dict[str, object]:
    """The mapping rules read: request fields by name, features as ``<view>.<feature>``.

    ``features`` may hold one mapping per feature view (``{"user_velocity": {"txn_count_1h":
    3}}``), or flat names: ``user_velocity.txn_count_1h`` as is, or Feast's full feature name
    ``user_velocity__txn_count_1h``. Request fields keep their values: a feature's name always
    has a dot, a request field's never does, so the two cannot collide.
    """
    row: dict[str, object] = dict(request_row)
    for name, value in features.items():
        if isinstance(value, Mapping):
            for feature, feature_value in value.items():
                row[f"{name}.{feature}"] = feature_value
        elif "." in name:
            row[name] = value
        elif "__" in name:
            view, _, feature = name.partition("__")
            row[f"{view}.{feature}"] = value
        else:
            row.setdefault(name, value)
    return row


def _load_rules(names: Sequence[str]) -> tuple[RuleCheck, ...]:
    """The generated rules of this stack, checked against the rule names in ``plan.json``.

    Raises:
        RuntimeError: ``services/rules.py`` is missing or was generated from another spec.
    """
    package = __package__ or ""
    module_name = f"{package}.rules" if package else "rules"
    try:
        module: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise RuntimeError(
            f"plan.json lists decision rules but {module_name} is missing; rebuild the stack"
        ) from err
    rules: tuple[RuleCheck, ...] = tuple(module.RULES)
    found = [rule.name for rule in rules]
    if found != list(names):
        raise RuntimeError(
            f"{module_name} holds rules {found} but plan.json lists {list(names)}; "
            "rebuild the stack so both come from the same spec"
        )
    return rules


@dataclass(frozen=True)
class DecisionPolicy:
    """Ensemble weights, anomaly model, thresholds and rules of one service (see module doc)."""

    ensemble: Mapping[str, float]
    anomaly_model: str | None
    thresholds: Mapping[str, float]
    rules: tuple[RuleCheck, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ensemble", normalised(self.ensemble))
        unknown = sorted(action for action in self.thresholds if action not in ACTIONS[1:])
        if unknown:
            raise ValueError(f"thresholds must name actions among {ACTIONS[1:]}: {unknown}")
        bad = [rule.name for rule in self.rules if rule.action not in _SEVERITY]
        if bad:
            raise ValueError(f"rules with an unknown action: {bad}")

    @classmethod
    def from_plan(
        cls, serving: Mapping[str, Any], rules: Sequence[RuleCheck] | None = None
    ) -> DecisionPolicy | None:
        """The policy of ``plan.json``'s ``serving`` section, or None when it has no decision.

        ``rules`` defaults to the generated ``services/rules.py`` (only imported when the plan
        has rules); tests pass their own.
        """
        decision = serving.get("decision")
        if decision is None:
            return None
        names = [str(rule["name"]) for rule in decision.get("rules", ())]
        if rules is None:
            rules = _load_rules(names) if names else ()
        return cls(
            ensemble={str(m): float(w) for m, w in decision["ensemble"].items()},
            anomaly_model=decision.get("anomaly_model"),
            thresholds={str(a): float(t) for a, t in decision.get("thresholds", {}).items()},
            rules=tuple(rules),
        )

    @property
    def models(self) -> tuple[str, ...]:
        """The models whose scores :meth:`decide` reads: ensemble members, then the anomaly model."""
        members = tuple(sorted(self.ensemble))
        return (*members, self.anomaly_model) if self.anomaly_model else members

    def fired(self, row: Mapping[str, object]) -> tuple[RuleCheck, ...]:
        """The rules that fire for ``row``, in the spec's order."""
        return tuple(rule for rule in self.rules if rule.fires(row))

    def needs_models(self, row: Mapping[str, object]) -> bool:
        """False when a ``decline`` rule fires: the decision is made, scoring is optional."""
        return not any(rule.action == "decline" for rule in self.fired(row))

    def score(
        self, scores: Mapping[str, float], ensemble: Mapping[str, float] | None = None
    ) -> float | None:
        """The weighted ensemble score (``ensemble`` overrides the plan's weights), or None
        when ``scores`` lacks a member with a positive weight."""
        weights = self.ensemble if ensemble is None else normalised(ensemble)
        used = {model: weight for model, weight in weights.items() if weight > 0}
        if any(model not in scores for model in used):
            return None
        return math.fsum(weight * float(scores[model]) for model, weight in used.items())

    def verdict(self, score: float) -> str:
        """The most severe action whose threshold ``score`` reaches; ``approve`` below all."""
        reached = [action for action, bound in self.thresholds.items() if score >= bound]
        return max(reached, key=_SEVERITY.__getitem__, default="approve")

    def decide(
        self,
        row: Mapping[str, object],
        scores: Mapping[str, float],
        ensemble: Mapping[str, float] | None = None,
        *,
        fired: Sequence[RuleCheck] | None = None,
    ) -> Decision:
        """The decision for one row (see the module docstring for the order of steps).

        Args:
            row: What rules read (see :func:`rule_row`).
            scores: Each model's score by name: a member's probability of the positive class,
                and for the anomaly model its flag (1.0 when its own trained threshold flags
                the row, 0.0 otherwise). May be empty when a ``decline`` rule fires.
            ensemble: An experiment arm's weights, replacing the plan's.
            fired: The rules :meth:`fired` already found for this row (checked again if
                not given).

        Raises:
            ValueError: no ``decline`` rule fired and ``scores`` lacks a model the decision
                needs (an ensemble member with a positive weight, or the anomaly model).
        """
        if fired is None:
            fired = self.fired(row)
        names = tuple(rule.name for rule in fired)
        actions = {rule.action for rule in fired}
        score = self.score(scores, ensemble)
        anomalous = self._anomalous(scores)
        if "decline" in actions:
            return Decision(score, "decline", names, anomalous)
        missing = [m for m in self._needed(ensemble) if m not in scores]
        if score is None or missing:
            raise ValueError(f"scores lack the models {missing} the decision needs")
        if "approve" in actions:
            level = "approve"
        else:
            level = self.verdict(score)
            if anomalous:
                level = max(level, ANOMALY_ACTION, key=_SEVERITY.__getitem__)
        for action in actions:
            level = max(level, action, key=_SEVERITY.__getitem__)
        return Decision(score, level, names, anomalous)

    def _needed(self, ensemble: Mapping[str, float] | None) -> list[str]:
        weights = self.ensemble if ensemble is None else ensemble
        needed = [model for model, weight in weights.items() if weight > 0]
        return [*needed, self.anomaly_model] if self.anomaly_model else needed

    def _anomalous(self, scores: Mapping[str, float]) -> bool | None:
        if self.anomaly_model is None or self.anomaly_model not in scores:
            return None
        return float(scores[self.anomaly_model]) >= ANOMALY_FLAG
