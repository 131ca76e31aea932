"""Candidate retrieval with a two-tower model in PyTorch, judged against item popularity.

Why: a recommender first narrows millions of items to a few hundred candidates that a ranker
then orders. The two towers embed users and items into one space (``embedding_dim`` from the
plan) so serving is a nearest-neighbour lookup. Training uses in-batch softmax over clicked
pairs; an item bias carries popularity so unseen users still get sensible candidates. The
popularity baseline (the same top items for everyone) is computed and reported beside
``recall_at_100``: a retrieval model that cannot beat it is not worth its index.

Plan fields read: ``target`` (the click label; rows where it is true are positives),
``embedding_dim``, ``params`` (``user_column``, ``item_column``, ``epochs``, ``k``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .common import ModelSpec, planned_number, seed_everything

__all__ = ["TwoTower", "evaluate", "fit", "interactions", "predict", "recommend"]

K = 100


class TwoTower(nn.Module):
    """A user tower and an item tower (embeddings) whose dot product plus item bias scores."""

    def __init__(self, users: int, items: int, dim: int) -> None:
        super().__init__()
        self.user = nn.Embedding(users + 1, dim)  # index 0: users never seen in training
        self.item = nn.Embedding(items, dim)
        self.bias = nn.Embedding(items, 1)
        nn.init.normal_(self.user.weight, std=0.05)
        nn.init.normal_(self.item.weight, std=0.05)
        nn.init.zeros_(self.bias.weight)
        with torch.no_grad():
            self.user.weight[0].zero_()

    def scores(self, users: torch.Tensor) -> torch.Tensor:
        """Scores of every item for each user index: (len(users), items)."""
        scores: torch.Tensor = self.user(users) @ self.item.weight.T + self.bias.weight.T
        return scores


@dataclass
class Retriever:
    """The fitted towers, the id vocabularies and the popularity order of items."""

    network: TwoTower
    users: dict[str, int]
    items: list[str]
    popular: list[int]
    user_column: str
    item_column: str


def interactions(users: int, items: int, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Clicks where each user mostly picks items of a favourite topic, popular items more often.

    Both signals are learnable: popularity alone reaches a modest recall, topics a high one.
    """
    topics = max(2, items // 50)
    item_topic = rng.integers(topics, size=items)
    weight = 1.0 / (1.0 + np.arange(items)) ** 0.6
    favourite = rng.integers(topics, size=users)
    user = rng.integers(users, size=rows)
    own = rng.random(rows) < 0.8
    chosen_topic = np.where(own, favourite[user], rng.integers(topics, size=rows))
    item = np.empty(rows, dtype=int)
    for topic in range(topics):
        members = np.flatnonzero(item_topic == topic)
        at = np.flatnonzero(chosen_topic == topic)
        if members.size == 0:
            members = np.arange(items)
        p = weight[members] / weight[members].sum()
        item[at] = rng.choice(members, size=at.size, p=p)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in user],
            "item_id": [f"i{i}" for i in item],
            "clicked": True,
            "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.sort(rng.random(rows)) * 30, "D"),
        }
    )
    return frame


def _positives(model: ModelSpec, frame: pd.DataFrame) -> pd.DataFrame:
    if model.target and model.target in frame.columns:
        positives: pd.DataFrame = frame[frame[model.target].astype(bool)]
        return positives
    return frame


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> Retriever:
    """Train the towers on the clicked pairs of ``frame`` with in-batch softmax."""
    seed_everything(seed)
    torch.set_num_threads(1)
    user_column = str(model.params.get("user_column", "user_id"))
    item_column = str(model.params.get("item_column", "item_id"))
    rows = _positives(model, frame)
    items = sorted(frame[item_column].astype(str).unique())
    users = {u: i + 1 for i, u in enumerate(sorted(frame[user_column].astype(str).unique()))}
    item_index = {item: i for i, item in enumerate(items)}
    u = torch.tensor(rows[user_column].astype(str).map(users).to_numpy(), dtype=torch.long)
    v = torch.tensor(rows[item_column].astype(str).map(item_index).to_numpy(), dtype=torch.long)
    counts = np.bincount(v.numpy(), minlength=len(items))
    network = TwoTower(len(users), len(items), int(planned_number(model, "embedding_dim", 32)))
    with torch.no_grad():  # start the bias at log popularity: the baseline is the floor
        network.bias.weight[:, 0] = torch.tensor(np.log1p(counts), dtype=torch.float32)
    optimiser = torch.optim.Adam(network.parameters(), lr=0.02)
    generator = torch.Generator().manual_seed(seed)
    batch = 512
    for _ in range(int(model.params.get("epochs", 8))):
        order = torch.randperm(len(u), generator=generator)
        for start in range(0, len(order), batch):
            at = order[start : start + batch]
            logits = network.user(u[at]) @ network.item(v[at]).T + network.bias(v[at]).T
            loss = nn.functional.cross_entropy(logits, torch.arange(len(at)))
            optimiser.zero_grad()
            torch.autograd.backward(loss)
            optimiser.step()
    network.eval()
    popular = [int(i) for i in np.argsort(-counts, kind="stable")]
    return Retriever(network, users, items, popular, user_column, item_column)


def recommend(fitted: Retriever, users: list[str], k: int = K) -> list[list[str]]:
    """The top ``k`` items for each user (unseen users get the popularity-led order)."""
    index = torch.tensor([fitted.users.get(str(u), 0) for u in users], dtype=torch.long)
    with torch.no_grad():
        top = torch.topk(fitted.network.scores(index), min(k, len(fitted.items)), dim=1).indices
    return [[fitted.items[i] for i in row] for row in top.tolist()]


def predict(model: ModelSpec, fitted: Retriever, frame: pd.DataFrame) -> pd.DataFrame:
    """The two-tower score of each (user, item) row; unknown items score lowest."""
    users = torch.tensor(
        [fitted.users.get(str(u), 0) for u in frame[fitted.user_column]], dtype=torch.long
    )
    lookup = {item: i for i, item in enumerate(fitted.items)}
    known = np.array([str(i) in lookup for i in frame[fitted.item_column]])
    items = torch.tensor([lookup.get(str(i), 0) for i in frame[fitted.item_column]])
    with torch.no_grad():
        net = fitted.network
        raw = (net.user(users) * net.item(items)).sum(1) + net.bias(items)[:, 0]
    score = np.where(known, raw.numpy(), -np.inf)
    return pd.DataFrame({"prediction": score, "score": score}, index=frame.index)


def _recall(truth: dict[str, set[str]], lists: list[list[str]]) -> float:
    hits = [len(t & set(r)) / len(t) for t, r in zip(truth.values(), lists, strict=True)]
    return float(np.mean(hits)) if hits else float("nan")


def evaluate(model: ModelSpec, fitted: Retriever, holdout: pd.DataFrame) -> dict[str, float]:
    """``recall_at_100`` over the users' held-out clicks, and the popularity baseline's."""
    k = int(model.params.get("k", K))
    rows = _positives(model, holdout)
    truth = {
        str(user): set(group[fitted.item_column].astype(str))
        for user, group in rows.groupby(fitted.user_column)
    }
    popular = [fitted.items[i] for i in fitted.popular[:k]]
    model_recall = _recall(truth, recommend(fitted, list(truth), k))
    popularity_recall = _recall(truth, [popular] * len(truth))
    return {
        f"recall_at_{k}": model_recall,
        f"popularity_recall_at_{k}": popularity_recall,
        f"recall_at_{k}_lift": model_recall - popularity_recall,
        "users_evaluated": float(len(truth)),
    }
