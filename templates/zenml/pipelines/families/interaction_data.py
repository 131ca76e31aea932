"""Synthetic recommendation traffic: users with tastes, items with traits, slates and clicks.

Why a model of its own: retrieval and ranking can only be judged on data with the structure
they exploit. Every item has a topic (its trait), a quality and a place in a popularity long
tail (item 0 is the most popular); every user has a favourite topic (their taste) and an
engagement level. Traffic comes in requests: a user is shown a slate of items, most drawn
from their favourite topic and all weighted by popularity (the previous system's choice),
ordered by that system's score, and clicks depend on taste, quality, engagement and the
position (users rarely look far down a slate). Traits and tastes are a fixed function of the
key's number (``i17`` is item 17), so an item or a user is the same in every batch and every
seed, and an oracle can rank the whole catalogue for any user from the keys alone.

Plain NumPy and pandas (no torch, no LightGBM): the synthetic source imports it in stacks that
train only one of the two families.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "CLICK_RATE",
    "ORACLE_PREFIX",
    "SLATE_SIZES",
    "TOPICS",
    "click_logit",
    "clicks",
    "exposure",
    "impressions",
    "interactions",
    "key_index",
    "oracle_scores",
    "slates",
]

#: The synthetic source's columns of the true scores (``pipelines.synthetic.ORACLE_PREFIX``).
ORACLE_PREFIX = "_oracle__"
#: Item topics (traits) and users' favourite topics are drawn among this many.
TOPICS = 16
#: Share of a slate drawn from the user's favourite topic (the rest: any topic).
OWN_TOPIC = 0.8
#: Popularity long tail: item ``i`` is shown in proportion to ``(1 + i) ** -POPULARITY``.
POPULARITY = 0.8
#: Click logit gained by an item of the user's favourite topic (their taste).
TASTE = 1.5
#: Spread of the items' quality and of the users' engagement (click logit).
QUALITY = 0.7
ENGAGEMENT = 0.6
#: Click logit lost per ``log(1 + position)``: the position bias of a slate.
POSITION_BIAS = 1.0
#: Share of impressions clicked.
CLICK_RATE = 0.05
#: Smallest and largest slate (positions ``0 .. size - 1``).
SLATE_SIZES = (8, 40)
#: Activity long tail of users: user ``u`` makes requests in proportion to ``(1 + u) ** -0.6``.
ACTIVITY = 0.6
_MASK = (1 << 64) - 1
Effects = Callable[[pd.DataFrame], np.ndarray]


def _unit(kind: str, index: np.ndarray) -> np.ndarray:
    """A uniform number in [0, 1) fixed by ``kind`` and each index (splitmix64)."""
    salt = np.uint64((zlib.crc32(kind.encode("utf-8")) * 0x9E3779B97F4A7C15) & _MASK)
    with np.errstate(over="ignore"):
        x = np.asarray(index, dtype=np.int64).astype(np.uint64) + salt
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) / 2.0**53, dtype=np.float64)


def _normal(kind: str, index: np.ndarray) -> np.ndarray:
    first = np.maximum(_unit(kind + "/radius", index), 1e-12)
    angle = _unit(kind + "/angle", index)
    return np.asarray(np.sqrt(-2.0 * np.log(first)) * np.cos(2.0 * np.pi * angle))


def key_index(keys: Sequence[object] | np.ndarray | pd.Series) -> np.ndarray:
    """The number of each key (``u17`` -> 17); a key without one gets its CRC32."""
    text = pd.Series(np.asarray(keys, dtype=object)).astype(str)
    digits = pd.to_numeric(text.str.extract(r"(\d{1,15})$", expand=False), errors="coerce")
    fallback = text.map(lambda key: zlib.crc32(key.encode("utf-8")))
    return np.asarray(digits.fillna(fallback), dtype=np.int64)


def item_topics(items: np.ndarray) -> np.ndarray:
    """The topic (trait) of each item number."""
    return np.asarray(_unit("item-topic", items) * TOPICS, dtype=np.int64)


def user_topics(users: np.ndarray) -> np.ndarray:
    """The favourite topic (taste) of each user number."""
    return np.asarray(_unit("user-topic", users) * TOPICS, dtype=np.int64)


def user_engagement(users: np.ndarray) -> np.ndarray:
    """Each user's engagement (standard normal): engaged users click and dwell more."""
    return _normal("user-engagement", users)


def _popularity(items: np.ndarray) -> np.ndarray:
    return np.asarray((1.0 + items) ** -POPULARITY)


def exposure(users: np.ndarray, items: int) -> np.ndarray:
    """``P(item shown | user)`` for each user number (rows) and item ``0 .. items - 1``."""
    catalogue = np.arange(items)
    topic, weight = item_topics(catalogue), _popularity(catalogue)
    totals = np.bincount(topic, weights=weight, minlength=TOPICS)
    within = weight / totals[topic]
    explore = (1.0 - OWN_TOPIC) * within / np.count_nonzero(totals)
    favourite = user_topics(np.asarray(users))
    own = OWN_TOPIC * (topic[None, :] == favourite[:, None]) * within[None, :]
    empty = totals[favourite] == 0
    own[empty] = OWN_TOPIC * weight / weight.sum()
    return np.asarray(own + explore[None, :])


def click_logit(users: np.ndarray, items: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The click logit of each impression, before the intercept and the caller's context."""
    match = user_topics(users) == item_topics(items)
    return np.asarray(
        TASTE * match
        + QUALITY * _normal("item-quality", items)
        + ENGAGEMENT * user_engagement(users)
        - POSITION_BIAS * np.log1p(positions)
    )


def oracle_scores(users: np.ndarray, items: int) -> np.ndarray:
    """The true log-odds that each user clicks each item in their next requests.

    Shown often (exposure) times clicked when shown (taste and quality; the position and the
    context average out): the best order any retrieval model could give.
    """
    catalogue = np.arange(items)
    shown = np.log(np.maximum(exposure(users, items), 1e-300))
    match = user_topics(np.asarray(users))[:, None] == item_topics(catalogue)[None, :]
    return np.asarray(shown + TASTE * match + QUALITY * _normal("item-quality", catalogue))


def _draw_items(users: np.ndarray, items: int, rng: np.random.Generator) -> np.ndarray:
    """One item per impression by the exposure policy (topic first, then popularity)."""
    catalogue = np.arange(items)
    topic, weight = item_topics(catalogue), _popularity(catalogue)
    present = np.flatnonzero(np.bincount(topic, minlength=TOPICS))
    favourite = user_topics(users)
    chosen = np.where(
        rng.random(len(users)) < OWN_TOPIC, favourite, rng.choice(present, size=len(users))
    )
    out = np.empty(len(users), dtype=np.int64)
    for value in np.unique(chosen):
        at = np.flatnonzero(chosen == value)
        members = catalogue[topic == value]
        if members.size == 0:  # a favourite topic no item has: popularity alone
            members = catalogue
        p = weight[members] / weight[members].sum()
        out[at] = rng.choice(members, size=at.size, p=p)
    return out


def slates(
    users: int, items: int, rows: int, rng: np.random.Generator, max_size: int = SLATE_SIZES[1]
) -> pd.DataFrame:
    """``rows`` impressions in requests: ``request``, ``user``, ``item``, ``position``.

    Requests come in order; each shows a slate ordered by the previous system's score
    (popularity and taste, with noise), so position and relevance go together.
    """
    high = max(1, min(SLATE_SIZES[1], max_size))
    low = max(1, min(SLATE_SIZES[0], high))
    sizes = rng.integers(low, high + 1, size=rows // low + 1)
    request = np.repeat(np.arange(len(sizes)), sizes)[:rows]
    activity = (1.0 + np.arange(users)) ** -ACTIVITY
    user = rng.choice(users, size=int(request[-1]) + 1, p=activity / activity.sum())[request]
    item = _draw_items(user, items, rng)
    match = user_topics(user) == item_topics(item)
    score = np.log(_popularity(item)) + TASTE * match + rng.gumbel(size=rows)
    order = np.lexsort((-score, request))
    starts = np.searchsorted(request, request[order], side="left")
    position = np.empty(rows, dtype=np.int64)
    position[order] = np.arange(rows) - starts
    return pd.DataFrame({"request": request, "user": user, "item": item, "position": position})


def clicks(
    logit: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(clicked, click probability) with the intercept that makes ``rate`` the mean."""
    low, high = -30.0, 30.0
    for _ in range(60):
        middle = (low + high) / 2.0
        if (1.0 / (1.0 + np.exp(-(logit + middle)))).mean() > rate:
            high = middle
        else:
            low = middle
    probability = 1.0 / (1.0 + np.exp(-(logit + (low + high) / 2.0)))
    return rng.random(len(logit)) < probability, probability


def interactions(
    users: int,
    items: int,
    rows: int,
    rng: np.random.Generator,
    *,
    effects: Effects | None = None,
    max_slate: int = SLATE_SIZES[1],
) -> pd.DataFrame:
    """Impressions with clicks: ``user_id``, ``item_id``, ``position``, ``ts``, ``clicked``.

    Also ``request``, ``user``, ``item`` (numbers) and ``click_probability`` (the truth).
    ``effects`` may add the caller's columns to the slate frame it is given and returns the
    click logit they add (context such as the surface); times are spread over 30 days, one
    per request, and a caller may replace them.
    """
    frame = slates(users, items, rows, rng, max_slate)
    logit = click_logit(
        frame["user"].to_numpy(), frame["item"].to_numpy(), frame["position"].to_numpy()
    )
    if effects is not None:
        logit = logit + effects(frame)
    clicked, probability = clicks(np.asarray(logit), CLICK_RATE, rng)
    offsets = np.sort(rng.random(int(frame["request"].max()) + 1)) * 30.0
    frame["user_id"] = np.char.add("u", frame["user"].to_numpy().astype(str))
    frame["item_id"] = np.char.add("i", frame["item"].to_numpy().astype(str))
    days = offsets[frame["request"].to_numpy()]
    frame["ts"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D")
    frame["clicked"] = clicked
    frame["click_probability"] = probability
    return frame


def impressions(users: int, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Impressions with a ranker's inputs: context, position and stand-ins for view features.

    ``item_popularity__ctr_7d`` and ``__impressions_7d`` are the item's click rate and
    impressions before each request, ``user_activity__clicks_1h`` the user's earlier
    impressions in the hour: what the feature views compute, written plainly here.
    """
    surfaces = np.array(["home", "search", "product_page", "email"])
    lift = rng.normal(0.0, 0.5, size=len(surfaces))
    drawn: dict[str, np.ndarray] = {}

    def context(frame: pd.DataFrame) -> np.ndarray:
        per_request = rng.integers(len(surfaces), size=int(frame["request"].max()) + 1)
        drawn["surface"] = surfaces[per_request][frame["request"]]
        return np.asarray(lift[per_request][frame["request"]])

    frame = interactions(users, max(200, 2 * users), rows, rng, effects=context)
    frame["surface"] = drawn["surface"]
    frame["device"] = np.array(["ios", "android", "web"])[frame["user"] % 3]
    by_item = frame.groupby("item_id", sort=False)["clicked"]
    seen = by_item.cumcount()
    earlier = by_item.cumsum() - frame["clicked"]
    frame["item_popularity__impressions_7d"] = seen
    frame["item_popularity__ctr_7d"] = (earlier / seen.where(seen > 0)).fillna(0.0)
    frame["user_activity__clicks_1h"] = _recent(frame, "user_id", 3600)
    return frame


def _recent(frame: pd.DataFrame, key: str, window_s: int) -> np.ndarray:
    """Each row's count of its key's impressions in ``[ts - window, ts]`` (rows in time order)."""
    seconds = frame["ts"].to_numpy().astype("datetime64[s]").astype(np.int64)
    out = np.zeros(len(frame), dtype=np.int64)
    for positions in frame.groupby(key, sort=False).indices.values():
        stamps = seconds[positions]
        out[positions] = np.searchsorted(stamps, stamps, side="right") - np.searchsorted(
            stamps, stamps - window_s, side="left"
        )
    return out
