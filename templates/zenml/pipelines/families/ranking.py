"""Ranking with LightGBM: LambdaRank over each query's candidates, binary when there are none.

Why: the ranker orders the few hundred candidates retrieval returns, using context and the
feature views' aggregates retrieval cannot afford. LambdaRank optimises NDCG directly within
each query (here: a user's impressions); without a query column the model falls back to a
binary click classifier and is judged by AUC. Categories keep their training vocabulary so a
category unseen at serving time cannot shift the codes of the others.

Plan fields read: ``target``, ``inputs`` (columns present in the frame; a view feature is
``<view>__<feature>``), ``params`` (``group_column``, ``num_boost_round``, ``k``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import ndcg_score, roc_auc_score

from .common import ModelSpec, input_columns, seed_everything

__all__ = ["Ranker", "evaluate", "fit", "impressions", "predict"]


@dataclass
class Ranker:
    """The booster, the feature columns it reads and each category column's vocabulary."""

    booster: lgb.Booster
    columns: list[str]
    group_column: str | None
    categories: dict[str, list[str]] = field(default_factory=dict)


def impressions(users: int, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Impressions whose click depends on position, surface and the user's recent activity."""
    user = rng.integers(users, size=rows)
    position = rng.integers(0, 50, size=rows)
    surface = rng.choice(["home", "search", "product_page", "email"], size=rows)
    clicks = rng.poisson(2.0, size=users)[user]
    ctr = rng.beta(2, 20, size=rows)
    logit = -1.0 - 0.06 * position + 0.35 * clicks + 12.0 * ctr + (surface == "search") * 0.8
    clicked = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in user],
            "surface": surface,
            "device": rng.choice(["ios", "android", "web"], size=rows),
            "position": position,
            "user_activity__clicks_1h": clicks,
            "item_popularity__ctr_7d": ctr,
            "clicked": clicked,
        }
    )


def _matrix(
    columns: list[str], categories: dict[str, list[str]], frame: pd.DataFrame
) -> pd.DataFrame:
    x = frame[columns].copy()
    for column, values in categories.items():
        x[column] = pd.Categorical(x[column].astype(str), categories=values)
    return x


def _group_column(model: ModelSpec, frame: pd.DataFrame) -> str | None:
    column = model.params.get("group_column", "user_id")
    return str(column) if column in frame.columns else None


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> Ranker:
    """Train LambdaRank on the frame's queries (or a binary ranker without a query column)."""
    seed_everything(seed)
    assert model.target is not None, "a ranker needs a relevance label"
    columns = [c for c in input_columns(model) if c in frame.columns and c != model.target]
    if not columns:
        raise ValueError(f"{model.name}: none of the model's inputs are in the frame")
    group = _group_column(model, frame)
    data = frame.sort_values(group, kind="stable") if group else frame
    categories = {
        c: sorted(data[c].astype(str).unique())
        for c in columns
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    }
    params: dict[str, Any] = {
        "learning_rate": 0.1,
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "verbosity": -1,
        "seed": seed,
        "deterministic": True,
        "num_threads": 1,
    }
    label = data[model.target].astype(int).to_numpy()
    if group:
        params.update(objective="lambdarank", metric="ndcg", eval_at=[10])
        sizes = data.groupby(group, sort=False).size().to_numpy()
        train = lgb.Dataset(_matrix(columns, categories, data), label=label, group=sizes)
    else:
        params.update(objective="binary", metric="auc")
        train = lgb.Dataset(_matrix(columns, categories, data), label=label)
    rounds = int(model.params.get("num_boost_round", 100))
    booster = lgb.train(params, train, num_boost_round=rounds)
    return Ranker(booster, columns, group, categories)


def predict(model: ModelSpec, fitted: Ranker, frame: pd.DataFrame) -> pd.DataFrame:
    """The ranking score of each row (higher first); ``prediction`` equals ``score``."""
    score = np.asarray(
        fitted.booster.predict(_matrix(fitted.columns, fitted.categories, frame)), dtype=float
    )
    return pd.DataFrame({"prediction": score, "score": score}, index=frame.index)


def evaluate(model: ModelSpec, fitted: Ranker, holdout: pd.DataFrame) -> dict[str, float]:
    """NDCG@k averaged over queries with a click, and AUC over every impression."""
    assert model.target is not None
    k = int(model.params.get("k", 10))
    label = holdout[model.target].astype(int).to_numpy()
    score = predict(model, fitted, holdout)["score"].to_numpy()
    metrics: dict[str, float] = {}
    if len(set(label)) == 2:
        metrics["roc_auc"] = metrics["auc"] = float(roc_auc_score(label, score))
    if fitted.group_column:
        gains = []
        keys = holdout[fitted.group_column].to_numpy()
        for key in pd.unique(keys):
            at = keys == key
            if at.sum() > 1 and label[at].any():
                gains.append(ndcg_score([label[at]], [score[at]], k=k))
        metrics[f"ndcg_at_{k}"] = float(np.mean(gains)) if gains else float("nan")
        metrics["queries_evaluated"] = float(len(gains))
    return metrics
