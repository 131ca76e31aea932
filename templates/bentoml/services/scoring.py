"""Score request rows: view features, every served model, then the decision.

One call per batch: the rows' view features are read from the online store once, the rows
become one frame with the request fields and the ``<view>__<feature>`` columns training saw,
and each model's family (``pipelines.tasks.family_of``) predicts the whole frame (a
forecaster answers each row's series horizon: ``services.horizons``). A plan
with a decision section turns the models' scores into a decision through a policy: the
stack's ``services.decision.DecisionPolicy`` (ensemble, anomaly score, rules, thresholds)
when the stack has that module, else the weighted ensemble and the score thresholds alone.

Around the models, the plan's request-path logic, each in a module of its own: experiment
arms (:mod:`services.arms`: sticky assignment, the arm's ensemble or model, exposures), the
prediction cache (:mod:`services.prediction_cache`: a hit skips the models), routing by
key (:mod:`services.routed`: each row to its partition's shard or the fallback) and a
rollout's candidate versions (:mod:`services.canary`: the step's share of units, re-read from
the rollout state on every batch; an experiment arm serving another stage wins over it).

Every answer, cached or not, gets a new ``prediction_id`` and the ZenML versions of the models
that answered (``model_versions``), and goes to the prediction log
(:mod:`services.prediction_log`), where later labels and outcomes are joined to it.
"""

from __future__ import annotations

import importlib
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from pipelines.stack_plan import StackPlan, load_plan
from pipelines.tasks import family_of
from services import horizons, images, metrics
from services.arms import Arm, Arms
from services.canary import Canaries
from services.features import OnlineFeatures
from services.models import load_models, load_stage_models, model_versions
from services.prediction_cache import PredictionCache
from services.prediction_log import PredictionLog
from services.request_frame import request_frame
from services.routed import RoutedModels
from services.serving_plan import ServingConfig
from services.slates import Slates

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
        arms: Arms | None = None,
        versions: Mapping[str, str] | None = None,
        log: PredictionLog | None = None,
        canaries: Canaries | None = None,
    ) -> None:
        self.config = config
        self.canaries = canaries
        self.versions = dict(versions or {})
        self.log = log
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
        self.arms = arms
        self.cache = PredictionCache.from_config(config)
        self.routed = RoutedModels.from_config(config, plan, self.fitted)
        self.slates = Slates.from_config(config, plan, self.fitted, features)

    @classmethod
    def load(cls, config: ServingConfig) -> Scorer:
        """The scorer of this stack: models from the BentoML store, features from Feast.

        Raises:
            services.models.ModelsMissing: a model is not in the store.
        """
        features = OnlineFeatures(config)
        arms = Arms.from_config(config, *load_stage_models(config))
        policy = decision_policy(config.serving)
        fitted = load_models(config)
        log = PredictionLog.from_config(config)
        versions = model_versions(config)
        canaries = Canaries.from_config(config, versions)
        scorer = cls(config, load_plan(), fitted, features, policy, arms, versions, log, canaries)
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
        """One answer per row, in order: each row's arm, a cached answer or the models'."""
        if not rows:
            return []
        started = time.perf_counter()
        metrics.BATCH_SIZE.observe(len(rows))
        arms = self.arms.assign(rows) if self.arms is not None else [None] * len(rows)
        canary = self._canary(rows)
        answers, keys = self._cached(rows, arms, canary)
        todo = [i for i, answer in enumerate(answers) if answer is None]
        if todo:
            fresh = self._score(
                [rows[i] for i in todo], [arms[i] for i in todo], [canary[i] for i in todo]
            )
            for i, answer in zip(todo, fresh, strict=True):
                if self.cache is not None and not canary[i]:
                    self.cache.put(keys[i], answer)
                answers[i] = answer
        done = [answer for answer in answers if answer is not None]
        moment = datetime.now(UTC)
        for answer, arm in zip(done, arms, strict=True):
            answer["prediction_id"] = uuid.uuid4().hex
            answer.setdefault("model_versions", self.versions_of(arm))
            for name in answer.get("canary") or ():
                assert self.canaries is not None
                answer["model_versions"][name] = self.canaries.candidate(name)
            if arm is not None:
                answer["experiment"] = arm.experiment
                answer["variant"] = arm.variant
        if self.arms is not None:
            self.arms.expose(arms, [a["prediction_id"] for a in done], moment)
            self._compare_arms(rows, done, arms)
        if self.log is not None:
            self.log.write(rows, done, arms, moment)
        for answer in done:  # the log's, not the caller's
            answer.pop("differs", None)
            answer.pop("other_variant", None)
        metrics.SCORING_SECONDS.observe(time.perf_counter() - started)
        metrics.SCORED_ROWS.inc(len(done))
        return done

    def _arm_model(self, arm: Arm | None, models: frozenset[str]) -> str | None:
        """The model among ``models`` (whose rollout candidate took the row) that the row's
        experiment arm served from its own stage instead, if any."""
        if self.arms is None or arm is None or arm.model is None or arm.model not in models:
            return None
        return arm.model if (arm.model, arm.stage) in self.arms.stage_models else None

    def _cached(
        self,
        rows: Sequence[Mapping[str, Any]],
        arms: Sequence[Arm | None],
        canary: Sequence[frozenset[str]],
    ) -> tuple[list[dict[str, Any] | None], list[str]]:
        """Each row's cached answer (None: score it) and cache key; a rollout candidate's
        rows are never looked up (see :mod:`services.canary`)."""
        answers: list[dict[str, Any] | None] = [None] * len(rows)
        keys = [""] * len(rows)
        if self.cache is None:
            return answers, keys
        plain = [i for i, models in enumerate(canary) if not models]
        found, found_keys = self.cache.lookup([rows[i] for i in plain], [arms[i] for i in plain])
        for i, answer, key in zip(plain, found, found_keys, strict=True):
            answers[i], keys[i] = answer, key
        return answers, keys

    def _canary(self, rows: Sequence[Mapping[str, Any]]) -> list[frozenset[str]]:
        """Per row, the models whose rollout candidate takes it (the state re-read first)."""
        if self.canaries is None:
            return [frozenset()] * len(rows)
        self.canaries.refresh()
        return self.canaries.assign(rows)

    def _compare_arms(
        self,
        rows: Sequence[Mapping[str, Any]],
        answers: Sequence[dict[str, Any]],
        arms: Sequence[Arm | None],
    ) -> None:
        """Score the saturation sample again as the other arm; mark whether the answers
        differ (the decision where the plan has one, else the prediction)."""
        assert self.arms is not None
        for row, answer, arm in zip(rows, answers, arms, strict=True):
            if arm is None or not self.arms.compared(arm, answer["prediction_id"]):
                continue
            other = self.arms.counterpart(arm)
            if other is None:
                continue
            (shadow,) = self._score([row], [other])
            field = "decision" if "decision" in answer else "prediction"
            answer["differs"] = shadow.get(field) != answer.get(field)
            answer["other_variant"] = other.variant

    def versions_of(self, arm: Arm | None) -> dict[str, str]:
        """The ZenML version of each stored model answering a row of ``arm``: its stage's
        version where the arm serves one, else production's."""
        out: dict[str, str] = {}
        for name, number in self.versions.items():
            if "@" in name:
                continue
            label = name if self.arms is None else self.arms.label(name, arm)
            out[name] = self.versions.get(label, number)
        return out

    def _score(
        self,
        rows: Sequence[Mapping[str, Any]],
        arms: Sequence[Arm | None] | None = None,
        canary: Sequence[frozenset[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """The models' answers for ``rows`` (no cache, no exposure: a warm-up scores here);
        ``canary`` names, per row, the models whose rollout candidate takes it."""
        row_arms = list(arms) if arms is not None else [None] * len(rows)
        frame = self.frame(rows)
        row_canary = list(canary) if canary is not None else [frozenset()] * len(rows)
        if self.slates is not None:
            return self._slates(frame, row_arms, row_canary)
        predictions: dict[str, list[Any]] = {}
        scores: dict[str, list[float | None]] = {}
        routed = self.routed.predict(frame, _plain) if self.routed is not None else None
        if routed is not None:
            predictions.update(routed.predictions)
            scores.update({name: list(map(_number, v)) for name, v in routed.scores.items()})
        for model in self.config.models:
            if self.routed is not None and model.name in self.routed.models:
                continue
            spec = self.plan.model(model.name)
            started = time.perf_counter()
            out = horizons.predict(spec, self.fitted[model.name], frame)
            if self.canaries is not None:
                self.canaries.observe_stable(model.name, time.perf_counter() - started)
            predictions[model.name] = [_plain(v) for v in out["prediction"]]
            if "score" in out:
                scores[model.name] = [_number(v) for v in out["score"]]
        answered = row_canary
        if self.canaries is not None:
            answered = self.canaries.apply(
                self.plan, frame, row_canary, predictions, scores, _plain
            )
        if self.arms is not None:
            self.arms.override(self.plan, frame, row_arms, predictions, scores, _plain)
        answers = [
            self._answer(frame, i, predictions, scores, row_arms[i]) for i in range(len(rows))
        ]
        if routed is not None:
            for i, answer in enumerate(answers):
                answer.update(routed.fields(i))
        for answer, models, arm in zip(answers, answered, row_arms, strict=True):
            by_arm = self._arm_model(arm, models)
            if by_arm is not None:  # the arm's stage answered the row, not the candidate
                models = models - {by_arm}
            if models:
                answer["canary"] = sorted(models)
        return answers

    def _slates(
        self,
        frame: pd.DataFrame,
        arms: Sequence[Arm | None],
        canary: Sequence[frozenset[str]],
    ) -> list[dict[str, Any]]:
        """Recommendation answers: each row's slate from its rollout's or arm's ranker."""
        assert self.slates is not None
        name = self.slates.ranking
        production = self.fitted[name]
        rankers, answered = [production] * len(arms), [frozenset[str]()] * len(arms)
        if self.canaries is not None:
            rankers, answered = self.canaries.rankers(name, canary, production)
        if self.arms is not None:
            rankers = [self.arms.fitted(name, arm, r) for arm, r in zip(arms, rankers, strict=True)]
        slates = self.slates.rank(frame, rankers)
        labels = [name if self.arms is None else self.arms.label(name, arm) for arm in arms]
        out: list[dict[str, Any]] = []
        for slate, label, models in zip(slates, labels, answered, strict=True):
            out.append({"prediction": slate, "model": label, "scores": {}})
            if models:
                out[-1]["canary"] = sorted(models)
        return out

    def _answer(
        self,
        frame: pd.DataFrame,
        index: int,
        predictions: Mapping[str, list[Any]],
        scores: Mapping[str, list[float | None]],
        arm: Arm | None = None,
    ) -> dict[str, Any]:
        row_scores = {name: values[index] for name, values in scores.items()}
        answer: dict[str, Any] = {"scores": row_scores}
        if self.policy is not None:
            known = {name: s for name, s in row_scores.items() if s is not None}
            ensemble = None if arm is None else arm.ensemble
            decided = self.policy.decide(self.rule_row(frame, index), known, ensemble)
            answer["prediction"] = float(decided.score)
            answer["decision"] = decided.decision
            answer["rules_fired"] = list(decided.rules_fired)
        elif arm is not None and arm.model is not None and arm.model in predictions:
            # the arm's model answers (from its stage's version, see services.arms)
            answer["prediction"] = predictions[arm.model][index]
            answer["model"] = arm.model if self.arms is None else self.arms.label(arm.model, arm)
        elif len(predictions) == 1:
            ((name, values),) = predictions.items()
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
