"""Copy each served model's production version into the BentoML model store.

``python -m services.export`` (in the stack root, after training): for every trainable model
the service calls, the ``model`` artifact of its Model Control Plane ``production`` version
is saved as the BentoML model ``<model name>`` with ``bentoml.models.create``: a cloudpickle
of the fitted object, so every family exports the same way (``bentoml.sklearn`` would refuse
the families' wrappers, which are not estimators) and the family's ``predict`` scores it at
serve time; the ZenML model and version go in its metadata. Serving then needs the BentoML store only, never
ZenML. Exit codes: 0 every model exported, 3 a model has no production version (nothing is
exported then: a service must not start with a mix of fresh and stale models).

An experiment arm may serve another stage of a model (``stage: staging``): that version is
saved too, as ``<model>--<stage>`` (:func:`stage_tag`), so the service loads both. A missing
stage version is not an error: the arm is served by production (said here and when the
service starts), and an older copy of that stage is removed from the store, so an arm never
serves a version the registry no longer holds in that stage.

A model under rollout (``python -m pipelines.rollout start``) also has its candidate version,
by number, saved as ``<model>--canary``; the service gives it the rollout step's share of
units (:mod:`services.canary`). The rollout state's modification time is then renewed, so a
running service loads the stored candidate on its next request, without a restart. Without a rollout in progress, or once the candidate is
production, an older ``--canary`` copy is removed.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.serving_plan import ServedModel, ServingConfig

__all__ = [
    "MODEL_FILE",
    "PRODUCTION",
    "NoProductionVersion",
    "arm_stages",
    "export_models",
    "main",
    "stage_tag",
]

EXIT_NO_PRODUCTION = 3
PRODUCTION = "production"
#: The stage name a rollout's candidate is stored under (``services.canary`` loads it).
CANARY = "canary"
#: The file of a stored model holding the pickled fitted object (``services.models`` reads it).
MODEL_FILE = "fitted.pkl"


class NoProductionVersion(Exception):
    """A model the service needs has never been promoted to production."""


@dataclass(frozen=True)
class Exported:
    """One model written to the BentoML store."""

    model: str
    zenml_version: str
    tag: str
    stage: str = PRODUCTION


def stage_tag(model: ServedModel, stage: str) -> str:
    """The store name of ``model``'s ``stage`` version: its tag for production, else
    ``<tag>--<stage>`` (a double dash no model name holds, so no two models collide)."""
    return model.tag if stage == PRODUCTION else f"{model.tag}--{stage.lower()}"


def arm_stages(config: ServingConfig) -> list[tuple[ServedModel, str]]:
    """Each (model, stage) an experiment arm serves besides production, once, in plan order."""
    from services.experiments import experiments_from_plan

    pairs: list[tuple[str, str]] = []
    for experiment in experiments_from_plan(config.serving):
        for variant in experiment.variants:
            pair = (variant.model or "", variant.stage)
            if variant.model and variant.stage != PRODUCTION and pair not in pairs:
                pairs.append(pair)
    return [(config.model(name), stage) for name, stage in pairs]


def _version(model: ServedModel, stage: str) -> tuple[Any, str] | None:
    """The fitted object and version number of ``model``'s ``stage`` version (a stage, or
    a version number), if any."""
    from pipelines.models import model_version

    try:
        version = model_version(model.name, stage)
        artifact = version.get_artifact("model")
    except (KeyError, RuntimeError):
        # ZenML raises KeyError when the model has versions but none in that stage, and
        # RuntimeError when the model was never registered (it refuses to create a version
        # named after a stage).
        return None
    if artifact is None:
        return None
    return artifact.load(), str(version.number)


def _production(model: ServedModel) -> tuple[Any, str]:
    """The fitted object and version number of ``model``'s production version."""
    found = _version(model, PRODUCTION)
    if found is None:
        raise NoProductionVersion(
            f"model {model.name!r} has no production version (or it has no 'model' "
            f"artifact): train it with `python -m pipelines.run --pipeline train_{model.name}` "
            "until its gates pass"
        )
    return found


def _save(config: ServingConfig, model: ServedModel, stage: str, fitted: Any, number: str) -> str:
    """Write one fitted object to the store as ``stage_tag(model, stage)``; its tag."""
    import bentoml
    import cloudpickle

    metadata = {
        "zenml_model": model.name,
        "zenml_version": number,
        "zenml_stage": stage,
        "task": model.task,
        "family": _family(model.task),
    }
    labels = {"service": config.service_name}
    with (
        bentoml.models.create(stage_tag(model, stage), labels=labels, metadata=metadata) as saved,
        open(saved.path_of(MODEL_FILE), "wb") as out,
    ):
        cloudpickle.dump(fitted, out)
    return str(saved.tag)


def _forget(tag: str) -> None:
    """Remove every stored version of ``tag`` (a stage the registry no longer holds)."""
    import bentoml
    from bentoml.exceptions import NotFound

    while True:
        try:
            bentoml.models.delete(bentoml.models.get(tag).tag)
        except NotFound:
            return


def export_models(config: ServingConfig, notes: list[str] | None = None) -> list[Exported]:
    """Save every trainable served model's production version, and the other stages the
    experiment arms serve; return what was saved. ``notes`` receives a line per arm stage
    that has no version (its arm is served by production).

    Raises:
        NoProductionVersion: a model has no production version (checked for every model
            before anything is written).
    """
    found = [(m, *_production(m)) for m in config.models if m.trainable]
    done = []
    for model, fitted, number in found:
        tag = _save(config, model, PRODUCTION, fitted, number)
        done.append(Exported(model=model.name, zenml_version=number, tag=tag))
    for model, stage in arm_stages(config):
        staged = _version(model, stage) if model.trainable else None
        if staged is None:
            _forget(stage_tag(model, stage))
            if notes is not None:
                notes.append(
                    f"{model.name}: no {stage} version; the arms that ask for it are served "
                    "by production"
                )
            continue
        tag = _save(config, model, stage, *staged)
        done.append(Exported(model=model.name, zenml_version=staged[1], tag=tag, stage=stage))
    production = {item.model: item.zenml_version for item in done if item.stage == PRODUCTION}
    done.extend(_export_candidates(config, production))
    return done


def _export_candidates(config: ServingConfig, production: dict[str, str]) -> list[Exported]:
    """Save the candidate version of each model under rollout as ``<model>--canary``."""
    from pipelines.rollout.state import read_rollouts, state_path
    from services.serving_plan import service_root

    rollouts = read_rollouts(state_path(service_root()))
    done = []
    for model in config.models:
        rollout = rollouts.get(model.name)
        if (
            not model.trainable
            or rollout is None
            or rollout.percent <= 0
            or production.get(model.name) == rollout.candidate
        ):
            _forget(stage_tag(model, CANARY))
            continue
        found = _version(model, rollout.candidate)
        if found is None:
            raise NoProductionVersion(
                f"model {model.name!r} has no version {rollout.candidate} with a 'model' "
                "artifact, though its rollout names it: roll it back with "
                f"`python -m pipelines.rollout rollback --model {model.name}`"
            )
        tag = _save(config, model, CANARY, *found)
        done.append(Exported(model=model.name, zenml_version=found[1], tag=tag, stage=CANARY))
    if done:
        # a running service re-reads the state when it changes: it then loads the new copy
        os.utime(state_path(service_root()))
    return done


def _family(task: str) -> str:
    from pipelines.tasks import FAMILY_OF_TASK

    return FAMILY_OF_TASK[task]


def main(argv: Sequence[str] | None = None) -> int:
    """Export the production models; print one line per model."""
    parser = argparse.ArgumentParser(prog="python -m services.export", description=__doc__)
    parser.parse_args(argv)
    config = ServingConfig.load()
    notes: list[str] = []
    try:
        exported = export_models(config, notes)
    except NoProductionVersion as err:
        print(f"export failed: {err}", file=sys.stderr)
        return EXIT_NO_PRODUCTION
    for item in exported:
        name = item.model if item.stage == PRODUCTION else f"{item.model} ({item.stage})"
        print(f"{name}: zenml version {item.zenml_version} -> bentoml model {item.tag}")
    for note in notes:
        print(note, file=sys.stderr)
    if not exported:
        print("no trainable model to export: the service scores without stored models")
    return 0


if __name__ == "__main__":
    code = main()
    # ZenML, Feast and the models leave hundreds of thousands of objects behind, which the
    # interpreter's exit would walk in one garbage collection after another (seconds here).
    # Frozen, they are out of the collector's reach; their memory goes with the process.
    gc.freeze()
    sys.exit(code)
