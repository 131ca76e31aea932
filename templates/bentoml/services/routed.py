"""Routed models on the request path: each row to its partition's shard, or to the fallback.

:mod:`services.routing` decides a row's route (its own key value, else the detector's answer,
else the fallback); this module calls the models. A routed target (NLP: ``sentiment``,
``entities``) is one fitted object holding a model per shard of partition values
(``pipelines.families.text.TextModel``), which picks the shard from the row's key column; so
the frame's key column is set to the route's partition and the target's family predicts as in
training. Only partition values every target trained a shard for are routed to shards (a
planned language without training rows has no shard); the others go to the fallback.

On the fallback route, the fallback model (``sentiment_multilingual``) answers for the targets
of its task; a target of another task (``entities``) answers with the generalist it holds,
trained on every language, reached by a key value no shard owns. The detector (language
identification) only runs for rows without a key value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelines.stack_plan import StackPlan
from pipelines.tasks import family_of
from services.routing import Detector, Route, Router
from services.serving_plan import ServingConfig

__all__ = ["UNROUTED", "RoutedAnswers", "RoutedModels"]

#: The key value given to fallback rows: no shard owns it, so a target uses its generalist.
UNROUTED = "und"


@dataclass(frozen=True)
class RoutedAnswers:
    """Per routed target its predictions and scores, and per row its route and answerers."""

    predictions: dict[str, list[Any]]
    scores: dict[str, list[Any]]
    routes: list[Route]
    answered_by: list[tuple[str, ...]]

    def fields(self, index: int) -> dict[str, Any]:
        """What row ``index``'s answer says of its route: the models that answered (comma
        separated), the partition (None on the fallback) and where the route came from
        (``request``, ``detector`` or ``fallback``)."""
        route = self.routes[index]
        return {
            "model": ",".join(self.answered_by[index]),
            "partition": route.partition,
            "route": route.source,
        }


def _trained_values(fitted: Any) -> set[str] | None:
    """The partition values a fitted target has shards for (None: not a sharded model)."""
    languages = getattr(fitted, "languages", None)
    if not isinstance(languages, Mapping):
        return None
    return {str(value) for values in languages.values() for value in values}


class RoutedModels:
    """The router with the fitted detector, targets and fallback it names."""

    def __init__(self, router: Router, plan: StackPlan, fitted: Mapping[str, Any]) -> None:
        values = router.partition_values
        for target in router.targets:
            trained = _trained_values(fitted[target])
            if trained is not None:
                values = frozenset(trained) if values is None else values & trained
        self.router = dataclasses.replace(router, partition_values=values)
        self.plan = plan
        self.fitted = fitted

    @classmethod
    def from_config(
        cls, config: ServingConfig, plan: StackPlan, fitted: Mapping[str, Any]
    ) -> RoutedModels | None:
        """The routed models of the plan, or None when it routes nothing."""
        router = Router.from_plan(config.serving)
        return None if router is None else cls(router, plan, fitted)

    @property
    def models(self) -> frozenset[str]:
        """The models this answers for (the scorer calls none of them itself)."""
        return frozenset(self.router.models)

    def _detections(self, frame: pd.DataFrame) -> dict[int, tuple[str | None, float]]:
        """The detector's (value, confidence) for each row lacking a key value."""
        detector = self.router.detector
        key = self.router.key
        if detector is None:
            return {}
        lacking = [i for i, value in enumerate(frame[key]) if _missing(value) or value == ""]
        if not lacking:
            return {}
        spec = self.plan.model(detector)
        part = frame.iloc[lacking].reset_index(drop=True)
        out = family_of(spec.task).predict(spec, self.fitted[detector], part)
        found = zip(out["prediction"], out["score"], strict=True)
        return {i: (str(label), float(score)) for i, (label, score) in zip(lacking, found)}

    def predict(self, frame: pd.DataFrame, plain: Any) -> RoutedAnswers:
        """Route every row of ``frame`` and predict each target for it.

        ``plain`` turns a family's output values into JSON values (the scorer's converter).
        """
        key = self.router.key
        detected = self._detections(frame)
        routes = []
        for i, value in enumerate(frame[key]):
            row = {key: None if _missing(value) else value}
            routes.append(self.router.resolve(row, _known_answer(detected.get(i))))
        routed = frame.copy()
        routed[key] = [r.partition if r.partition is not None else UNROUTED for r in routes]
        predictions: dict[str, list[Any]] = {}
        scores: dict[str, list[Any]] = {}
        for target in self.router.targets:
            spec = self.plan.model(target)
            out = family_of(spec.task).predict(spec, self.fitted[target], routed)
            predictions[target] = [plain(v) for v in out["prediction"]]
            if "score" in out:
                scores[target] = [plain(v) for v in out["score"]]
        answered = [self.router.targets for _ in routes]
        rows = [i for i, r in enumerate(routes) if r.partition is None]
        fallback = self.router.fallback
        if fallback is not None and rows:
            spec = self.plan.model(fallback)
            replaced = [t for t in self.router.targets if self.plan.model(t).task == spec.task]
            part = routed.iloc[rows].reset_index(drop=True)
            out = family_of(spec.task).predict(spec, self.fitted[fallback], part)
            for target in replaced:
                for at, value in zip(rows, out["prediction"], strict=True):
                    predictions[target][at] = plain(value)
                if target in scores and "score" in out:
                    for at, value in zip(rows, out["score"], strict=True):
                        scores[target][at] = plain(value)
            names = tuple(fallback if t in replaced else t for t in self.router.targets)
            for at in rows:
                answered[at] = tuple(dict.fromkeys(names))
        return RoutedAnswers(predictions, scores, routes, answered)


def _known_answer(found: tuple[str | None, float] | None) -> Detector:
    """A detector that answers ``found``: the batch's detections, looked up per row."""

    def detect(row: Mapping[str, object]) -> tuple[str | None, float] | None:
        del row
        return found

    return detect


def _missing(value: Any) -> bool:
    """Whether a frame value is absent (None, NaN, ``pd.NA``)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
