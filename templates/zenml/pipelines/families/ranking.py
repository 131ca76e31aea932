"""Ranking with LightGBM: LambdaRank over each request's slate, binary when there are none.

Why: the ranker orders the few hundred candidates retrieval returns, using context and the
feature views' aggregates retrieval cannot afford. LambdaRank optimises NDCG directly within
each query: a request (the rows one user was shown at one instant, which share the user key
and the event time), or each user's impressions when the log holds no slates; without a user
column the model falls back to a binary click classifier, and evaluation treats the whole
hold-out as one list. Categories keep their training vocabulary so a category unseen at
serving time cannot shift the codes of the others. Beside ``ndcg_at_10`` (and MAP, MRR,
precision and recall at each cut-off) the evaluation reports the NDCG of a random order
(``chance_ndcg_at_10``), so a reader can tell learning from a generous gate.

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

from .common import ModelSpec, cut_offs, input_columns, seed_everything
from .interaction_data import ORACLE_PREFIX, impressions

__all__ = ["Ranker", "evaluate", "fit", "impressions", "oracle", "predict", "query_columns"]


@dataclass
class Ranker:
    """The booster, the feature columns it reads and each category column's vocabulary."""

    booster: lgb.Booster
    columns: list[str]
    query: tuple[str, ...]
    categories: dict[str, list[str]] = field(default_factory=dict)


def _matrix(
    columns: list[str], categories: dict[str, list[str]], frame: pd.DataFrame
) -> pd.DataFrame:
    x = frame[columns].copy()
    for column, values in categories.items():
        x[column] = pd.Categorical(x[column].astype(str), categories=values)
    return x


def query_columns(model: ModelSpec, frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns whose values make one query: ``params["group_column"]``, else a request
    (the user key and the event time, when rows share them), else the user key."""
    given = model.params.get("group_column")
    if given:
        wanted = [given] if isinstance(given, str) else list(given)
        return tuple(str(c) for c in wanted if c in frame.columns)
    users = [c for c in frame.columns if "user" in str(c).lower() and "__" not in str(c)]
    user = "user_id" if "user_id" in frame.columns else next(iter(users), None)
    if user is None:
        return ()
    times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if times and len(frame) >= 2 * frame.groupby([user, times[0]], observed=True).ngroups:
        return (user, str(times[0]))
    return (user,)


def _query_keys(query: tuple[str, ...], frame: pd.DataFrame) -> np.ndarray:
    if not query:
        return np.zeros(len(frame), dtype=np.int64)
    keys = frame.groupby(list(query), sort=False, observed=True, dropna=False).ngroup()
    return np.asarray(keys.to_numpy(), dtype=np.int64)


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> Ranker:
    """Train LambdaRank on the frame's queries (or a binary ranker without a query column)."""
    seed_everything(seed)
    assert model.target is not None, "a ranker needs a relevance label"
    columns = [c for c in input_columns(model) if c in frame.columns and c != model.target]
    if not columns:
        raise ValueError(f"{model.name}: none of the model's inputs are in the frame")
    query = query_columns(model, frame)
    keys = _query_keys(query, frame)
    order = np.argsort(keys, kind="stable")
    data = frame.iloc[order]
    categories = {
        c: sorted(data[c].astype(str).unique())
        for c in columns
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    }
    params: dict[str, Any] = {
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "verbosity": -1,
        "seed": seed,
        "deterministic": True,
        "num_threads": 1,
    }
    label = data[model.target].astype(int).to_numpy()
    if query:
        params.update(objective="lambdarank", metric="ndcg", eval_at=[10])
        sizes = np.bincount(keys[order])
        train = lgb.Dataset(_matrix(columns, categories, data), label=label, group=sizes[sizes > 0])
    else:
        params.update(objective="binary", metric="auc")
        train = lgb.Dataset(_matrix(columns, categories, data), label=label)
    rounds = int(model.params.get("num_boost_round", 100))
    booster = lgb.train(params, train, num_boost_round=rounds)
    return Ranker(booster, columns, query, categories)


def predict(model: ModelSpec, fitted: Ranker, frame: pd.DataFrame) -> pd.DataFrame:
    """The ranking score of each row (higher first); ``prediction`` equals ``score``."""
    score = np.asarray(
        fitted.booster.predict(_matrix(fitted.columns, fitted.categories, frame)), dtype=float
    )
    return pd.DataFrame({"prediction": score, "score": score}, index=frame.index)


def _chance(label: np.ndarray, k: int) -> float:
    """The expected NDCG@k of a random order of one query (each row equally likely anywhere)."""
    discount = 1.0 / np.log2(np.arange(2, min(k, len(label)) + 2))
    ideal = float((np.sort(label)[::-1][: len(discount)] * discount).sum())
    return float(label.mean() * discount.sum() / ideal) if ideal > 0 else 0.0


def _list_metrics(label: np.ndarray, score: np.ndarray, ks: list[int]) -> dict[str, float]:
    """One query's metrics: average precision, reciprocal rank, and at each cut-off ``k``
    NDCG, its chance level, precision (clicks among the top ``k``) and recall (share of the
    query's clicks in the top ``k``)."""
    order = np.argsort(-score, kind="stable")
    relevant = label[order] > 0
    ranks = np.flatnonzero(relevant) + 1
    out = {
        "map": float(np.mean(np.arange(1, len(ranks) + 1) / ranks)),
        "mrr": float(1.0 / ranks[0]),
    }
    for k in ks:
        out[f"ndcg_at_{k}"] = float(ndcg_score([label], [score], k=k))
        out[f"chance_ndcg_at_{k}"] = _chance(label, k)
        out[f"precision_at_{k}"] = float(relevant[:k].sum() / min(k, len(label)))
        out[f"recall_at_{k}"] = float(relevant[:k].sum() / len(ranks))
    return out


def _metrics(
    model: ModelSpec, query: tuple[str, ...], holdout: pd.DataFrame, score: np.ndarray
) -> dict[str, float]:
    """AUC over every impression; the list metrics averaged over the queries with a click.

    The cut-offs are ``params["k"]`` (10 by default) and every ``k`` a gate or monitor names.
    Without a query column the whole hold-out is one list.
    """
    assert model.target is not None
    ks = cut_offs(model, (int(model.params.get("k", 10)),))
    label = holdout[model.target].astype(int).to_numpy()
    metrics: dict[str, float] = {}
    if len(set(label)) == 2:
        metrics["roc_auc"] = metrics["auc"] = float(roc_auc_score(label, score))
    keys = _query_keys(query, holdout)
    lists = [
        _list_metrics(label[at], score[at], ks)
        for at in pd.Series(keys).groupby(keys).indices.values()
        if len(at) > 1 and label[at].any()
    ]
    names = ["map", "mrr"] + [
        f"{stem}_at_{k}" for k in ks for stem in ("ndcg", "chance_ndcg", "precision", "recall")
    ]
    for name in names:
        metrics[name] = float(np.mean([m[name] for m in lists])) if lists else float("nan")
    metrics["queries_evaluated"] = float(len(lists))
    return metrics


def evaluate(model: ModelSpec, fitted: Ranker, holdout: pd.DataFrame) -> dict[str, float]:
    """NDCG, MAP, MRR, precision and recall over the held-out queries with a click, and AUC
    over every impression."""
    score = predict(model, fitted, holdout)["score"].to_numpy()
    return _metrics(model, fitted.query, holdout, score)


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The same metrics for the generator's true click probability, when the data is synthetic."""
    column = ORACLE_PREFIX + str(model.target)
    if column not in holdout.columns:
        return {}
    score = holdout[column].to_numpy(dtype=float)
    return _metrics(model, query_columns(model, holdout), holdout, score)
