"""Score request rows: view features, every served model, then the decision.

One call per batch: the rows' view features are read from the online store once, the rows
become one frame with the request fields and the ``<view>__<feature>`` columns training saw,
and each model's family (``pipelines.tasks.family_of``) predicts the whole frame (a
forecaster answers each row's series horizon: ``services.horizons``). A plan
with a decision section turns the models' scores into a decision through a policy: the
stack's ``services.decision.DecisionPolicy`` (ensemble, anomaly score, rules, thresholds)
when the stack has that module, else the weighted ensemble and the score thresholds alone.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from pipelines.stack_plan import StackPlan, load_plan
from pipelines.tasks import family_of
from services import horizons, images, metrics
from services.features import OnlineFeatures
from services.models import load_models
from services.request_frame import request_frame
from services.serving_plan import ServingConfig

__all__ = [
    "Decision",
    "DecisionPolicyLike",
    "ScoreThresholds",
    "Scorer",
    "decision_policy",
    "warm_up_row",
]


class DecisionLike(Protocol):
    """What a policy's ``decide`` returns."""

    @property
    def score(self) -> float: ...

    @property
    def decision(self) -> str: ...

    @property
    def rules_fired(self) -> tuple[str, ...]: ...


class DecisionPolicyLike(Protocol):
    """The interface of ``services.decision.DecisionPolicy``."""

    def decide(
        self,
        row: Mapping[str, object],
        scores: Mapping[str, float],
        ensemble: Mapping[str, float] | None = None,
    ) -> DecisionLike: ...


@dataclass(frozen=True)
class Decision:
    """A decision with its score and the rules that fired (none without a rule engine)."""

    score: float
    decision: str
    rules_fired: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoreThresholds:
    """The plan's weighted ensemble and score thresholds, without decision rules.

    Used when the stack has no ``services.decision`` module: the score is the weighted mean
    of the ensemble's model scores; at or above ``decline`` declines, at or above ``review``
    reviews, else approves.
    """

    ensemble: Mapping[str, float]
    review: float
    decline: float

    @classmethod
    def from_plan(cls, serving: Mapping[str, Any]) -> ScoreThresholds | None:
        """The policy of the plan's decision section, or None when there is none."""
        decision = serving.get("decision")
        if not decision or not decision.get("ensemble") or not decision.get("thresholds"):
            return None
        thresholds = decision["thresholds"]
        return cls(
            ensemble={str(k): float(v) for k, v in decision["ensemble"].items()},
            review=float(thresholds["review"]),
            decline=float(thresholds["decline"]),
        )

    def decide(
        self,
        row: Mapping[str, object],
        scores: Mapping[str, float],
        ensemble: Mapping[str, float] | None = None,
    ) -> Decision:
        """Weighted mean of the ensemble's scores, then the thresholds."""
        weights = ensemble or self.ensemble
        total = sum(weights.values())
        score = sum(w * scores[m] for m, w in weights.items()) / total if total else 0.0
        if score >= self.decline:
            return Decision(score, "decline")
        if score >= self.review:
            return Decision(score, "review")
        return Decision(score, "approve")


def decision_policy(serving: Mapping[str, Any]) -> DecisionPolicyLike | None:
    """The stack's decision policy: ``services.decision`` when present, else thresholds."""
    try:
        module = importlib.import_module("services.decision")
    except ModuleNotFoundError as err:
        if err.name != "services.decision":
            raise
        return ScoreThresholds.from_plan(serving)
    policy: DecisionPolicyLike | None = module.DecisionPolicy.from_plan(serving)
    return policy


class Scorer:
    """Request rows in, one answer per row out (see the module docstring)."""

    def __init__(
        self,
        config: ServingConfig,
        plan: StackPlan,
        fitted: Mapping[str, Any],
        features: OnlineFeatures,
        policy: DecisionPolicyLike | None,
    ) -> None:
        self.config = config
        self.plan = plan
        self.fitted = dict(fitted)
        self.features = features
        self.policy = policy
        for model in config.models:
            if not model.trainable:
                # An untrained model (a detector with built-in profiles) is "fitted" on
                # no rows: its family's fit only records its settings.
                spec = plan.model(model.name)
                empty = pd.DataFrame(columns=list(spec.columns))
                self.fitted[model.name] = family_of(spec.task).fit(spec, empty, 0)

    @classmethod
    def load(cls, config: ServingConfig) -> Scorer:
        """The scorer of this stack: models from the BentoML store, features from Feast.

        Raises:
            services.models.ModelsMissing: a model is not in the store.
        """
        features = OnlineFeatures(config)
        scorer = cls(
            config, load_plan(), load_models(config), features, decision_policy(config.serving)
        )
        scorer.warm()
        return scorer

    def warm(self) -> None:
        """Score one made-up row, so the first request does not pay for first calls.

        Opening the feature store and each learner's first prediction take far longer than
        later ones; under adaptive batching a slow first batch makes BentoML drop the
        requests queued behind it. A row with a timestamp, or an image of undeclared size,
        is not made up: the service then starts cold.
        """
        row = warm_up_row(self.config)
        if row is not None:
            self._score([row])

    def frame(self, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The rows with their view features, as the models' families read them."""
        return request_frame(self.config, rows, self.features)

    def score(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One answer per row, in order."""
        if not rows:
            return []
        metrics.BATCH_SIZE.observe(len(rows))
        return self._score(rows)

    def _score(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        frame = self.frame(rows)
        predictions: dict[str, list[Any]] = {}
        scores: dict[str, list[float | None]] = {}
        for model in self.config.models:
            spec = self.plan.model(model.name)
            out = horizons.predict(spec, self.fitted[model.name], frame)
            predictions[model.name] = [_plain(v) for v in out["prediction"]]
            if "score" in out:
                scores[model.name] = [_number(v) for v in out["score"]]
        return [self._answer(frame, i, predictions, scores) for i in range(len(rows))]

    def _answer(
        self,
        frame: pd.DataFrame,
        index: int,
        predictions: Mapping[str, list[Any]],
        scores: Mapping[str, list[float | None]],
    ) -> dict[str, Any]:
        row_scores = {name: values[index] for name, values in scores.items()}
        answer: dict[str, Any] = {"scores": row_scores}
        if self.policy is not None:
            known = {name: s for name, s in row_scores.items() if s is not None}
            decided = self.policy.decide(self.rule_row(frame, index), known)
            answer["prediction"] = float(decided.score)
            answer["decision"] = decided.decision
            answer["rules_fired"] = list(decided.rules_fired)
        elif len(predictions) == 1:
            (name, values), = predictions.items()
            answer["prediction"] = values[index]
            answer["model"] = name
        else:
            answer["prediction"] = {name: values[index] for name, values in predictions.items()}
        return answer

    def rule_row(self, frame: pd.DataFrame, index: int) -> dict[str, object]:
        """What decision rules read: request fields and ``<view>.<feature>`` values."""
        row: dict[str, object] = {
            f.name: _plain(frame.at[index, f.name]) for f in self.config.request_fields
        }
        for ref in self.config.features:
            row[ref.rule_name] = _plain(frame.at[index, ref.frame_column])
        return row


def warm_up_row(config: ServingConfig) -> dict[str, object] | None:
    """A valid request row, or None when a field's type has no made-up value."""
    row: dict[str, object] = {}
    for field in config.request_fields:
        if field.values:
            row[field.name] = field.values[0]
        elif field.type in ("integer", "float"):
            low = field.min if field.min is not None else min(0.0, field.max or 0.0)
            row[field.name] = int(low) if field.type == "integer" else float(low)
        elif field.type in ("string", "text"):
            row[field.name] = "warm-up"
        elif field.type == "bool":
            row[field.name] = False
        elif field.type == "embedding" and field.dim is not None:
            row[field.name] = [0.0] * field.dim
        elif field.type == "image" and field.height and field.width and field.channels:
            row[field.name] = images.blank(field.height, field.width, field.channels)
        else:
            return None
    return row


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars and arrays as Python ones, NaN as None."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _number(value: Any) -> float | None:
    plain = _plain(value)
    if plain is None:
        return None
    return float(plain)
