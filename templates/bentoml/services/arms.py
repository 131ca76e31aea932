"""Experiments on the request path: each row's arm, what the arm changes, and its exposure.

:mod:`services.experiments` says which arm a unit is in; this module applies it to a batch of
request rows. A row joins the first experiment (in plan order) that enrols its unit; rows no
experiment enrols get the plan's behaviour and no experiment fields. An arm changes the answer
in two ways:

* ``ensemble``: its weights replace the plan's in the decision policy's weighted mean;
* ``model`` and ``stage``: that model answers the row, from the stage's version when the
  arm asks for one other than production and ``services.export`` stored it (else production
  answers, as the service said when it started); the answer's ``model`` then reads
  ``<model>@<stage>``.

Each enrolled row counts once in ``mlopsgen_experiment_exposures_total`` and writes one
structured (JSON) exposure line to the service log, with the prediction's id and time: what
an experiment's readout joins with its outcomes.

A sample of enrolled rows (the plan's ``disagreement_sample_fraction``) is also scored as the
experiment's other arm would have scored it: whether the two answers differ (``differs`` in
the prediction log) is what the read-out's saturation check measures.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from pipelines.stack_plan import StackPlan
from pipelines.tasks import family_of
from services import metrics
from services.experiments import Experiment, assign_row, experiments_from_plan
from services.prediction_log import sampled
from services.serving_plan import ServingConfig

__all__ = ["LOGGER", "Arm", "Arms"]

#: A child of BentoML's logger, so exposure lines go where ``bentoml serve`` logs.
LOGGER = logging.getLogger("bentoml.mlopsgen.experiments")


@dataclass(frozen=True)
class Arm:
    """The arm a row was assigned: its experiment, variant and what the variant changes."""

    experiment: str
    variant: str
    unit: str
    ensemble: Mapping[str, float] | None
    model: str | None
    stage: str


class Arms:
    """The plan's experiments with the stage versions their arms serve."""

    def __init__(
        self,
        experiments: Sequence[Experiment],
        stage_models: Mapping[tuple[str, str], Any],
    ) -> None:
        self.experiments = tuple(experiments)
        self.stage_models = dict(stage_models)

    @classmethod
    def from_config(
        cls,
        config: ServingConfig,
        stage_models: Mapping[tuple[str, str], Any],
        absent: Sequence[str] = (),
    ) -> Arms | None:
        """The arms of the plan's experiments, or None without experiments.

        ``absent`` names the stage versions the store lacks: each is logged as a warning,
        since those arms are served by production until one is exported.
        """
        experiments = experiments_from_plan(config.serving)
        if not experiments:
            return None
        for line in absent:
            LOGGER.warning("%s", line)
        return cls(experiments, stage_models)

    def assign(self, rows: Sequence[Mapping[str, Any]]) -> list[Arm | None]:
        """Each row's arm: the first experiment enrolling its unit, or None."""
        return [self._arm(row) for row in rows]

    def counterpart(self, arm: Arm) -> Arm | None:
        """The arm the row would have had in the experiment's other variant: the control's
        for a treatment, the first treatment's for the control (None with one variant)."""
        experiment = next(e for e in self.experiments if e.name == arm.experiment)
        others = [v for v in experiment.variants if v.name != arm.variant]
        if not others:
            return None
        other = others[0]
        return Arm(
            experiment=arm.experiment,
            variant=other.name,
            unit=arm.unit,
            ensemble=other.ensemble,
            model=other.model,
            stage=other.stage,
        )

    def compared(self, arm: Arm, prediction_id: str) -> bool:
        """Whether the row of ``arm`` joins its experiment's saturation sample (by the id, at
        the plan's ``disagreement_sample_fraction``)."""
        experiment = next(e for e in self.experiments if e.name == arm.experiment)
        return sampled(prediction_id, experiment.disagreement_sample_fraction)

    def _arm(self, row: Mapping[str, Any]) -> Arm | None:
        for experiment in self.experiments:
            assignment = assign_row(experiment, row)
            if assignment.enrolled:
                variant = experiment.variant(assignment.variant)
                return Arm(
                    experiment=experiment.name,
                    variant=variant.name,
                    unit=str(row.get(experiment.unit)),
                    ensemble=variant.ensemble,
                    model=variant.model,
                    stage=variant.stage,
                )
        return None

    def expose(
        self, arms: Sequence[Arm | None], prediction_ids: Sequence[str], moment: datetime
    ) -> None:
        """Count and log one exposure per enrolled row, with its prediction's id and time."""
        at = moment.isoformat(timespec="milliseconds")
        for arm, prediction_id in zip(arms, prediction_ids, strict=True):
            if arm is None:
                continue
            metrics.EXPERIMENT_EXPOSURES.labels(
                experiment=arm.experiment, variant=arm.variant
            ).inc()
            record = {
                "event": "experiment_exposure",
                "experiment": arm.experiment,
                "variant": arm.variant,
                "unit": arm.unit,
                "prediction_id": prediction_id,
                "at": at,
            }
            LOGGER.info("%s", json.dumps(record, sort_keys=True))

    def fitted(self, name: str, arm: Arm | None, production: Any) -> Any:
        """The fitted ``name`` answering a row of ``arm``: the arm's stage version when it
        asks for one the store holds, else ``production``."""
        if arm is None or arm.model != name:
            return production
        return self.stage_models.get((name, arm.stage), production)

    def label(self, name: str, arm: Arm | None) -> str:
        """How an answer names the model ``name`` serving a row of ``arm``: ``name@stage``
        when :meth:`fitted` gives the arm's stage version, else ``name``."""
        if arm is not None and arm.model == name and (name, arm.stage) in self.stage_models:
            return f"{name}@{arm.stage}"
        return name

    def override(
        self,
        plan: StackPlan,
        frame: pd.DataFrame,
        arms: Sequence[Arm | None],
        predictions: dict[str, list[Any]],
        scores: dict[str, list[float | None]],
        plain: Any,
    ) -> None:
        """Replace the production answers of rows whose arm serves another stored stage.

        ``plain`` turns a family's output values into JSON values (the scorer's converter).
        """
        for (name, stage), fitted in self.stage_models.items():
            rows = [
                i
                for i, arm in enumerate(arms)
                if arm is not None and arm.model == name and arm.stage == stage
            ]
            if not rows:
                continue
            spec = plan.model(name)
            part = frame.iloc[rows].reset_index(drop=True)
            out = family_of(spec.task).predict(spec, fitted, part)
            for at, value in zip(rows, out["prediction"], strict=True):
                predictions[name][at] = plain(value)
            if "score" in out and name in scores:
                for at, value in zip(rows, out["score"], strict=True):
                    number = plain(value)
                    scores[name][at] = None if number is None else float(number)
