"""Candidate retrieval with a two-tower model in PyTorch, judged against item popularity.

Why: a recommender first narrows millions of items to a few hundred candidates that a ranker
then orders. The two towers embed users and items into one space (``embedding_dim`` from the
plan) so serving is a nearest-neighbour lookup. Training uses in-batch softmax over the
engaged pairs of the training window (a click counts fully, an impression without one at
``impression_weight``: the user was at least shown it for their history); an item bias carries
popularity so a user never seen in training still gets sensible candidates. The popularity
baseline (the same top items for everyone) is computed and reported beside ``recall_at_100``:
a retrieval model that cannot beat it is not worth its index.

Plan fields read: ``target`` (the click label), ``embedding_dim``, ``inputs`` (the user and
item key columns), ``params`` (``user_column``, ``item_column``, ``epochs``, ``k``,
``impression_weight``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .common import ModelSpec, cut_offs, planned_number, seed_everything
from .interaction_data import ORACLE_PREFIX, interactions, key_index, oracle_scores

__all__ = [
    "Retriever",
    "TwoTower",
    "evaluate",
    "fit",
    "interactions",
    "oracle",
    "predict",
    "recommend",
]

K = 100
#: Users scored at once: the score matrix is users x items.
CHUNK = 512


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


def key_columns(model: ModelSpec, frame: pd.DataFrame) -> tuple[str, str]:
    """(user column, item column): ``params``, else the inputs naming a user and an item."""
    names = [str(i.column) for i in model.inputs if i.kind == "column" and i.type == "string"]
    names += [c for c in ("user_id", "item_id") if c in frame.columns]
    user = model.params.get("user_column") or next(
        (n for n in names if "user" in n.lower()), names[0] if names else "user_id"
    )
    item = model.params.get("item_column") or next(
        (n for n in names if "item" in n.lower() and n != user),
        next((n for n in names if n != user), "item_id"),
    )
    return str(user), str(item)


def _weights(model: ModelSpec, frame: pd.DataFrame) -> np.ndarray:
    """Each row's weight as a positive: 1 for a click, ``impression_weight`` otherwise."""
    if not model.target or model.target not in frame.columns:
        return np.ones(len(frame))
    clicked = frame[model.target].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return np.where(clicked, 1.0, float(model.params.get("impression_weight", 0.1)))


def _positives(model: ModelSpec, frame: pd.DataFrame) -> pd.DataFrame:
    if model.target and model.target in frame.columns:
        positives: pd.DataFrame = frame[frame[model.target].astype("boolean").fillna(False)]
        return positives
    return frame


def fit(model: ModelSpec, frame: pd.DataFrame, seed: int) -> Retriever:
    """Train the towers on the engaged pairs of ``frame`` with weighted in-batch softmax."""
    seed_everything(seed)
    torch.set_num_threads(1)
    user_column, item_column = key_columns(model, frame)
    weight = _weights(model, frame)
    rows = frame[weight > 0]
    items = sorted(frame[item_column].astype(str).unique())
    users = {u: i + 1 for i, u in enumerate(sorted(frame[user_column].astype(str).unique()))}
    item_index = {item: i for i, item in enumerate(items)}
    u = torch.tensor(rows[user_column].astype(str).map(users).to_numpy(), dtype=torch.long)
    v = torch.tensor(rows[item_column].astype(str).map(item_index).to_numpy(), dtype=torch.long)
    w = torch.tensor(weight[weight > 0], dtype=torch.float32)
    clicked = _positives(model, frame)[item_column].astype(str).map(item_index).to_numpy()
    counts = np.bincount(clicked.astype(np.int64), minlength=len(items))
    network = TwoTower(len(users), len(items), int(planned_number(model, "embedding_dim", 32)))
    with torch.no_grad():  # start the bias at log popularity: the baseline is the floor
        network.bias.weight[:, 0] = torch.tensor(np.log1p(counts), dtype=torch.float32)
    optimiser = torch.optim.Adam(network.parameters(), lr=0.02, weight_decay=1e-5)
    generator = torch.Generator().manual_seed(seed)
    batch = 512
    for _ in range(int(model.params.get("epochs", 10))):
        order = torch.randperm(len(u), generator=generator)
        for start in range(0, len(order), batch):
            at = order[start : start + batch]
            logits = network.user(u[at]) @ network.item(v[at]).T + network.bias(v[at]).T
            loss = nn.functional.cross_entropy(logits, torch.arange(len(at)), reduction="none")
            total = (loss * w[at]).sum() / w[at].sum()
            optimiser.zero_grad()
            torch.autograd.backward(total)
            optimiser.step()
    network.eval()
    popular = [int(i) for i in np.argsort(-counts, kind="stable")]
    return Retriever(network, users, items, popular, user_column, item_column)


def recommend(fitted: Retriever, users: list[str], k: int = K) -> list[list[str]]:
    """The top ``k`` items for each user (unseen users get the popularity-led order)."""
    lists: list[list[str]] = []
    for start in range(0, len(users), CHUNK):
        chunk = users[start : start + CHUNK]
        index = torch.tensor([fitted.users.get(str(u), 0) for u in chunk], dtype=torch.long)
        with torch.no_grad():
            scores = fitted.network.scores(index)
            top = torch.topk(scores, min(k, len(fitted.items)), dim=1).indices
        lists.extend([fitted.items[i] for i in row] for row in top.tolist())
    return lists


def predict(model: ModelSpec, fitted: Retriever, frame: pd.DataFrame) -> pd.DataFrame:
    """The two-tower score of each (user, item) row; unknown items score lowest."""
    users = torch.tensor(
        [fitted.users.get(str(u), 0) for u in frame[fitted.user_column]], dtype=torch.long
    )
    lookup = {item: i for i, item in enumerate(fitted.items)}
    known = np.array([str(i) in lookup for i in frame[fitted.item_column]], dtype=bool)
    items = torch.tensor([lookup.get(str(i), 0) for i in frame[fitted.item_column]])
    with torch.no_grad():
        net = fitted.network
        raw = (net.user(users) * net.item(items)).sum(1) + net.bias(items)[:, 0]
    score = np.where(known, raw.numpy(), -np.inf)
    return pd.DataFrame({"prediction": score, "score": score}, index=frame.index)


def _truth(model: ModelSpec, holdout: pd.DataFrame, user: str, item: str) -> dict[str, set[str]]:
    """Each held-out user's clicked items."""
    rows = _positives(model, holdout)
    return {str(u): set(group[item].astype(str)) for u, group in rows.groupby(user, sort=True)}


def _user_metrics(relevant: set[str], ranked: list[str], ks: list[int]) -> dict[str, float]:
    """One user's metrics: at each cut-off ``k`` recall, precision, hit rate and NDCG (binary
    relevance), and the reciprocal rank of the first relevant item (0 past the list)."""
    hit = np.array([item in relevant for item in ranked], dtype=bool)
    gain = hit / np.log2(np.arange(2, len(hit) + 2))
    ideal = 1.0 / np.log2(np.arange(2, len(relevant) + 2))
    first = np.flatnonzero(hit)
    out = {"mrr": float(1.0 / (first[0] + 1)) if len(first) else 0.0}
    for k in ks:
        found = float(hit[:k].sum())
        out[f"recall_at_{k}"] = found / len(relevant)
        out[f"precision_at_{k}"] = found / k
        out[f"hit_rate_at_{k}"] = float(found > 0)
        out[f"ndcg_at_{k}"] = float(gain[:k].sum() / ideal[:k].sum())
    return out


def _mean(truth: dict[str, set[str]], lists: list[list[str]], ks: list[int]) -> dict[str, float]:
    """Each user metric averaged over the held-out users with a click."""
    users = [_user_metrics(t, r, ks) for t, r in zip(truth.values(), lists, strict=True)]
    names = ["mrr"] + [
        f"{s}_at_{k}" for k in ks for s in ("recall", "precision", "hit_rate", "ndcg")
    ]
    return {n: float(np.mean([u[n] for u in users])) if users else float("nan") for n in names}


def _metrics(
    ks: list[int], truth: dict[str, set[str]], lists: list[list[str]], popular: list[str]
) -> dict[str, float]:
    """The model's metrics, and popularity's recall (the same top items for everyone) beside."""
    metrics = _mean(truth, lists, ks)
    baseline = _mean(truth, [popular] * len(truth), ks)
    for k in ks:
        metrics[f"popularity_recall_at_{k}"] = baseline[f"recall_at_{k}"]
        metrics[f"recall_at_{k}_lift"] = metrics[f"recall_at_{k}"] - baseline[f"recall_at_{k}"]
    metrics["users_evaluated"] = float(len(truth))
    return metrics


def evaluate(model: ModelSpec, fitted: Retriever, holdout: pd.DataFrame) -> dict[str, float]:
    """Recall, precision, hit rate and NDCG at each cut-off, and MRR, over the held-out users'
    later clicks, with the popularity baseline's recall.

    The cut-offs are ``params["k"]`` (100 by default) and every ``k`` a gate or monitor names.
    """
    ks = cut_offs(model, (int(model.params.get("k", K)),))
    truth = _truth(model, holdout, fitted.user_column, fitted.item_column)
    popular = [fitted.items[i] for i in fitted.popular[: max(ks)]]
    return _metrics(ks, truth, recommend(fitted, list(truth), max(ks)), popular)


def _oracle_lists(users: np.ndarray, items: int, k: int) -> Iterator[list[int]]:
    for start in range(0, len(users), CHUNK):
        scores = oracle_scores(users[start : start + CHUNK], items)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        yield from (row.tolist() for row in top)


def oracle(model: ModelSpec, holdout: pd.DataFrame) -> dict[str, float]:
    """The same metrics for the generator's true click odds, when the data is synthetic.

    The true scores rank every item of the catalogue (numbers up to the largest key held out)
    for each user; the popularity baseline here is the true popularity order.
    """
    if ORACLE_PREFIX + str(model.target) not in holdout.columns:
        return {}
    ks = cut_offs(model, (int(model.params.get("k", K)),))
    user, item = key_columns(model, holdout)
    truth = _truth(model, holdout, user, item)
    if not truth:
        return {}
    items = int(key_index(holdout[item]).max()) + 1
    prefix = str(holdout[item].iloc[0]).rstrip("0123456789")
    lists = _oracle_lists(key_index(list(truth)), items, max(ks))
    names = [[f"{prefix}{i}" for i in row] for row in lists]
    popular = [f"{prefix}{i}" for i in range(min(max(ks), items))]
    return _metrics(ks, truth, names, popular)
