"""Recommendation slates: a request names a user, the answer is the items to show, best first.

A recommendation stack serves a retrieval model (two towers) and a ranking model, and its
requests carry the user and the context (``surface``, ``device``) but no item: the models
score (user, item) pairs. So a request row becomes candidate rows: the retrieval model scores
every item of its catalogue for the user and keeps the best :data:`CANDIDATES`; each
candidate row gets the request's fields, the item, both entities' view features (user and
item, from the online store) and 0 for each impression column the ranker learned from that
no request carries (``position``, ``slot``: the slot every candidate is ranked for; the ranker
learned a position bias, and ranking all candidates for the same slot compares the items
alone). The ranking model scores them and the best :data:`SLATE_SIZE` make the answer.

The ranker answering a row may be another stage's version (an experiment arm's, see
:mod:`services.arms`): the caller passes the fitted ranker per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipelines.stack_plan import StackPlan
from pipelines.tasks import family_of
from services.features import OnlineFeatures
from services.serving_plan import ServingConfig

__all__ = ["CANDIDATES", "SLATE_SIZE", "Slates"]

#: Items the retrieval model hands to the ranker per request.
CANDIDATES = 50
#: Items in an answer: the ranking gates' and the monitoring's cut-off (NDCG at 10).
SLATE_SIZE = 10
#: The slot every candidate is ranked for (the top of the slate).
POSITION = 0


class Slates:
    """Retrieval then ranking, for requests that name no item."""

    def __init__(
        self,
        plan: StackPlan,
        retrieval: str,
        ranking: str,
        fitted: Mapping[str, Any],
        features: OnlineFeatures,
    ) -> None:
        self.plan = plan
        self.retrieval = retrieval
        self.ranking = ranking
        self.retriever = fitted[retrieval]
        self.features = features

    @classmethod
    def from_config(
        cls,
        config: ServingConfig,
        plan: StackPlan,
        fitted: Mapping[str, Any],
        features: OnlineFeatures,
    ) -> Slates | None:
        """Slates for a stack serving a retrieval and a ranking model whose requests carry no
        item; None otherwise (the models then score the request rows themselves)."""
        by_task = {model.task: model.name for model in config.models}
        if "retrieval" not in by_task or "ranking" not in by_task:
            return None
        retriever = fitted[by_task["retrieval"]]
        if retriever.item_column in {field.name for field in config.request_fields}:
            return None
        return cls(plan, by_task["retrieval"], by_task["ranking"], fitted, features)

    def candidates(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The best :data:`CANDIDATES` catalogue items of each row's user, with a ``_row``
        column naming the request row (catalogue order breaks ties)."""
        items = list(self.retriever.items)
        spec = self.plan.model(self.retrieval)
        parts = []
        for index, row in enumerate(frame.to_dict("records")):
            pairs = pd.DataFrame([row] * len(items))
            pairs[self.retriever.item_column] = items
            score = np.asarray(
                family_of(spec.task).predict(spec, self.retriever, pairs)["score"], dtype=float
            )
            best = np.argsort(-score, kind="stable")[:CANDIDATES]
            chosen = pairs.iloc[best].reset_index(drop=True)
            chosen["_row"] = index
            parts.append(chosen)
        return pd.concat(parts, ignore_index=True)

    def rank(self, frame: pd.DataFrame, rankers: Sequence[Any]) -> list[list[dict[str, Any]]]:
        """Each request row's slate: ``{"item": id, "score": ranker score}``, best first.

        ``rankers`` holds the fitted ranker answering each row of ``frame``.
        """
        candidates = self.candidates(frame)
        item = self.retriever.item_column
        rows = [{str(k): v for k, v in row.items()} for row in candidates.to_dict("records")]
        for column, values in self.features.read(rows).items():
            # numbers, a missing one as NaN: the ranker's booster reads numeric columns only
            numbers = pd.Series(values, index=candidates.index, dtype=object)
            candidates[column] = pd.to_numeric(numbers, errors="coerce")
        # impression context the ranker learned from (the slot, ``position`` or however the
        # spec names it) that no request carries: every candidate is ranked for the top slot
        for column in _impression_columns(rankers, candidates.columns):
            candidates[column] = POSITION
        spec = self.plan.model(self.ranking)
        family = family_of(spec.task)
        slates: list[list[dict[str, Any]]] = []
        for index, ranker in enumerate(rankers):
            mine = candidates[candidates["_row"] == index].reset_index(drop=True)
            score = np.asarray(family.predict(spec, ranker, mine)["score"], dtype=float)
            order = np.argsort(-score, kind="stable")[:SLATE_SIZE]
            slates.append(
                [{"item": str(mine.at[int(i), item]), "score": float(score[i])} for i in order]
            )
        return slates


def _impression_columns(rankers: Sequence[Any], present: Iterable[str]) -> list[str]:
    """The rankers' input columns the candidate rows lack, in the rankers' order."""
    have = set(present)
    missing: list[str] = []
    for ranker in rankers:
        for column in ranker.columns:
            if column not in have and column not in missing:
                missing.append(column)
    return missing
