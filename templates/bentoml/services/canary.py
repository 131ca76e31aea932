"""A rollout on the request path: the candidate version answers its share of the units.

``python -m pipelines.rollout`` writes the rollout state (:mod:`pipelines.rollout.state`);
this module re-reads it whenever the file's identity, modification time or size changes (one
``stat`` per batch), so a step that advances or a rollback takes effect on the next request,
in every worker, without a restart. On a cluster the file is a mounted ConfigMap: it is absent
until the first rollout (no rollout: production answers), and the kubelet replaces it by
swapping a symbolic link to a new copy, which ``stat`` follows (a new inode). A state that
cannot be parsed is logged and read as no rollout, until the file changes again. The candidate's fitted object is the BentoML model
``<model>--canary`` that ``services.export`` stores; it is used only when its recorded ZenML
version is the rollout's candidate (else the service logs why and production answers).

Which units: the request's first ``entity`` field (``user_id``), else its ``id`` field, is
hashed with the rollout's salt (SHA-256, :func:`services.experiments.bucket`) into one of
10,000 buckets; the unit goes to the candidate when its bucket is below the step's percent.
A unit therefore stays with the candidate as the share grows (the split is sticky across
steps), and a new rollout, with a new salt, draws other units. A row without a unit id stays
with production. Why inside the service rather than two deployments weighted by replicas: a
5 % step needs no twentieth replica, and the same unit sees the same version on every
replica.

What the candidate changes: its model's prediction and score for the row, before the
decision policy, exactly as production's would; the answer's ``model_versions`` then name the
candidate's version and ``canary`` lists the models it answered for, so an outcome joins the
version that made the prediction. Under the ``shadow`` strategy the candidate scores its rows
beside production and production answers. Should the candidate fail on a batch, production
answers those rows and the failure is counted: ``mlopsgen_rollout_rows_total`` (by model,
arm and outcome) and ``mlopsgen_rollout_model_seconds`` are what the rollout's checks judge.
Answers involving a candidate are neither cached nor served from the cache, so no unit ever
gets another version's stored answer.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.rollout.state import Rollout, read_rollouts, state_path
from pipelines.stack_plan import StackPlan
from services import horizons, metrics
from services.experiments import BUCKETS, bucket
from services.export import CANARY, stage_tag
from services.serving_plan import ServingConfig, service_root

__all__ = ["Canaries", "in_canary", "unit_field"]

LOGGER = logging.getLogger("bentoml.mlopsgen.rollout")
_UNIT_ROLES = ("entity", "id")

#: Loads a stored model by tag: its fitted object and ZenML version, or None.
Loader = Callable[[str], tuple[Any, str] | None]


def in_canary(rollout: Rollout, unit: str) -> bool:
    """Whether ``unit`` is in the candidate's share of ``rollout`` (see the module doc)."""
    return bucket("rollout", rollout.salt, unit) < rollout.percent * (BUCKETS / 100)


def unit_field(config: ServingConfig) -> str | None:
    """The request field that names the unit: the first entity field, else the id field."""
    for role in _UNIT_ROLES:
        for field in config.request_fields:
            if field.role == role:
                return field.name
    return None


@dataclass(frozen=True)
class Active:
    """A rollout the service carries out: its state and the candidate's fitted object."""

    rollout: Rollout
    fitted: Any


class Canaries:
    """The rollouts of this worker's models, kept in step with the state file."""

    def __init__(
        self,
        config: ServingConfig,
        path: Path,
        production: Mapping[str, str],
        loader: Loader,
    ) -> None:
        self.path = path
        self.unit = unit_field(config)
        self.served = {m.name: m for m in config.models if m.trainable}
        self.production = dict(production)
        self.loader = loader
        self.active: dict[str, Active] = {}
        self._seen: tuple[int, ...] | None = None

    @classmethod
    def from_config(cls, config: ServingConfig, production: Mapping[str, str]) -> Canaries:
        """The rollouts of the state file this stack's controller writes."""
        from services.models import load_tagged

        return cls(config, state_path(service_root()), production, load_tagged)

    def refresh(self) -> None:
        """Re-read the state when its file changed since the last look."""
        try:
            info = os.stat(self.path)
            seen: tuple[int, ...] | None = (
                info.st_dev,
                info.st_ino,
                info.st_mtime_ns,
                info.st_size,
            )
        except FileNotFoundError:
            seen = None
        if seen == self._seen:
            return
        self._seen = seen
        try:
            rollouts = read_rollouts(self.path) if seen is not None else {}
        except (ValueError, KeyError, TypeError):
            LOGGER.exception("rollout state %s cannot be read: production answers", self.path)
            rollouts = {}
        self.active = {}
        for name, rollout in rollouts.items():
            found = self._activate(name, rollout)
            if found is not None:
                self.active[name] = found

    def _activate(self, name: str, rollout: Rollout) -> Active | None:
        if rollout.percent <= 0 or name not in self.served:
            return None
        if self.production.get(name) == rollout.candidate:
            return None  # already served as production
        stored = self.loader(stage_tag(self.served[name], CANARY))
        if stored is None or stored[1] != rollout.candidate:
            held = "none" if stored is None else f"version {stored[1]}"
            LOGGER.warning(
                "rollout of %s: the store's %s--canary holds %s, not candidate version %s; "
                "production answers every unit until `python -m services.export` stores it",
                name,
                name,
                held,
                rollout.candidate,
            )
            return None
        LOGGER.info(
            "rollout of %s: version %s answers %g%% of units (%s)",
            name,
            rollout.candidate,
            rollout.percent,
            rollout.status,
        )
        return Active(rollout, stored[0])

    def candidate(self, name: str) -> str:
        """The candidate version of model ``name`` under rollout."""
        return self.active[name].rollout.candidate

    def assign(self, rows: Sequence[Mapping[str, Any]]) -> list[frozenset[str]]:
        """Per row, the models whose candidate takes it (empty: production answers)."""
        if not self.active or self.unit is None:
            return [frozenset()] * len(rows)
        out: list[frozenset[str]] = []
        for row in rows:
            unit = row.get(self.unit)
            if unit is None or unit == "":
                out.append(frozenset())
                continue
            out.append(
                frozenset(
                    name
                    for name, active in self.active.items()
                    if in_canary(active.rollout, str(unit))
                )
            )
        return out

    def observe_stable(self, name: str, seconds: float) -> None:
        """Record production's scoring time of a batch for a model under rollout."""
        if name in self.active:
            metrics.ROLLOUT_SECONDS.labels(model=name, arm="stable").observe(seconds)

    def apply(
        self,
        plan: StackPlan,
        frame: pd.DataFrame,
        assigned: Sequence[frozenset[str]],
        predictions: dict[str, list[Any]],
        scores: dict[str, list[float | None]],
        plain: Callable[[Any], Any],
    ) -> list[frozenset[str]]:
        """Replace production's answers of the candidates' rows; per row, the models whose
        candidate answered it (a failed or shadow candidate answers none)."""
        answered: list[set[str]] = [set() for _ in assigned]
        for name, active in self.active.items():
            rows = [i for i, names in enumerate(assigned) if name in names]
            stable = len(assigned) - len(rows)
            if stable:
                self._count(name, "stable", "ok", stable)
            if not rows:
                continue
            out = self._predict(plan, name, active, frame.iloc[rows].reset_index(drop=True))
            if out is None or active.rollout.shadow:
                continue
            for at, value in zip(rows, out["prediction"], strict=True):
                predictions[name][at] = plain(value)
                answered[at].add(name)
            if "score" in out and name in scores:
                for at, value in zip(rows, out["score"], strict=True):
                    number = plain(value)
                    scores[name][at] = None if number is None else float(number)
        return [frozenset(names) for names in answered]

    def rankers(
        self, name: str, assigned: Sequence[frozenset[str]], production: Any
    ) -> tuple[list[Any], list[frozenset[str]]]:
        """Per row, the ranker of model ``name`` that builds its slate (the candidate's for
        its rows, except in shadow) and the models whose candidate answered it. A slate is
        ranked for all rows at once, so a failing candidate fails the request (and the
        service's error ratio) rather than the canary's own counter."""
        active = self.active.get(name)
        if active is None:
            return [production] * len(assigned), [frozenset()] * len(assigned)
        served = [name in names and not active.rollout.shadow for names in assigned]
        canary = sum(served)
        for arm, count in (("canary", canary), ("stable", len(assigned) - canary)):
            if count:
                self._count(name, arm, "ok", count)
        fitted = [active.fitted if chosen else production for chosen in served]
        return fitted, [frozenset({name}) if chosen else frozenset() for chosen in served]

    def _count(self, name: str, arm: str, outcome: str, rows: int) -> None:
        """Count ``rows`` of model ``name``'s ``arm``, labelled with the version serving it
        (so a later rollout of the same model starts from its own counters)."""
        version = self.candidate(name) if arm == "canary" else self.production.get(name, "")
        metrics.ROLLOUT_ROWS.labels(model=name, version=version, arm=arm, outcome=outcome).inc(rows)

    def _predict(
        self, plan: StackPlan, name: str, active: Active, part: pd.DataFrame
    ) -> pd.DataFrame | None:
        """The candidate's output for ``part``, or None (counted, logged) when it fails."""
        spec = plan.model(name)
        started = time.perf_counter()
        try:
            out = horizons.predict(spec, active.fitted, part)
        except Exception:  # the candidate's failure is measured; production answers its rows
            LOGGER.exception("rollout of %s: candidate %s failed", name, active.rollout.candidate)
            self._count(name, "canary", "error", len(part))
            return None
        seconds = time.perf_counter() - started
        metrics.ROLLOUT_SECONDS.labels(model=name, arm="canary").observe(seconds)
        self._count(name, "canary", "ok", len(part))
        return out
