"""Synthetic experiment logs clustered by user, for the experiment read-out's tests.

This module runs in the stack's interpreter (it needs numpy and pandas, which the compiler's
environment lacks): the tests prepend its source to the code they run there. Each user gets
an arm by the planned split, a random per-user level (so a user's requests are correlated,
as real users' are), a number of requests, and a pre-period value of the metric that shares
the user's level (the CUPED covariate). A treated request gains ``effect``; with
``disagree`` set, only the requests where the arms' decisions differ (drawn at that rate, in
every arm alike) gain it, and the disagreement sample lists every request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Logs:
    exposures: pd.DataFrame
    outcomes: pd.DataFrame
    covariates: pd.DataFrame
    disagreements: pd.DataFrame


def clustered_logs(
    seed: int,
    *,
    users: int = 3000,
    split: tuple[float, ...] = (0.9, 0.1),
    arms: tuple[str, ...] = ("control", "treatment"),
    metric: str = "fraud_loss_usd",
    base: float = 5.0,
    effect: float = 0.0,
    user_sd: float = 3.0,
    noise_sd: float = 2.0,
    mean_requests: float = 6.0,
    rate: bool = False,
    disagree: float | None = None,
) -> Logs:
    """One experiment's exposures, outcomes, covariates and disagreement sample."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(len(arms), size=users, p=np.asarray(split) / sum(split))
    level = rng.normal(0.0, user_sd, size=users)
    requests = 1 + rng.poisson(mean_requests - 1, size=users)
    user = np.repeat(np.arange(users), requests)
    treated = np.repeat(arm > 0, requests)
    differs = rng.random(user.size) < disagree if disagree is not None else np.ones(user.size, bool)
    lift = effect * (treated & differs)
    if rate:
        chance = np.clip(base + level[user] + lift, 0.0, 1.0)
        values = (rng.random(user.size) < chance).astype(float)
        pre = np.clip(base + level, 0, 1) + rng.normal(0.0, 0.05, size=users)
    else:
        values = base + level[user] + lift + rng.normal(0.0, noise_sd, size=user.size)
        pre = base + level + rng.normal(0.0, noise_sd / 2, size=users)
    ids = [f"p{seed}-{i}" for i in range(user.size)]
    units = [f"u{u}" for u in user]
    start = pd.Timestamp("2026-11-02T00:00:00Z")
    at = start + pd.to_timedelta(rng.integers(0, 14 * 86400, size=user.size), unit="s")
    exposures = pd.DataFrame(
        {
            "experiment": "lgbm_heavier",
            "variant": np.asarray(arms)[arm[user]],
            "unit": units,
            "prediction_id": ids,
            "at": [t.isoformat() for t in at],
        }
    )
    return Logs(
        exposures=exposures,
        outcomes=pd.DataFrame({"prediction_id": ids, metric: values}),
        covariates=pd.DataFrame({"unit": [f"u{u}" for u in range(users)], f"pre_{metric}": pre}),
        disagreements=pd.DataFrame(
            {"experiment": "lgbm_heavier", "prediction_id": ids, "unit": units, "differs": differs}
        ),
    )
