"""Load the service's models from the BentoML model store, where ``services.export`` put them.

A missing model stops the service before it takes traffic, with the commands that fix it:
serving a partial set of models would answer with a different decision than the plan's.
Other stages that experiment arms serve (``staging``) are optional: without one, the arm is
served by production and the service says so when it starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from services.export import MODEL_FILE, arm_stages, stage_tag
from services.serving_plan import ServingConfig

__all__ = [
    "ModelsMissing",
    "load_models",
    "load_stage_models",
    "load_tagged",
    "missing_models",
    "model_versions",
    "require_models",
]


class ModelsMissing(RuntimeError):
    """Models the service needs are not in the BentoML store."""


def _stored(tag: str) -> Any | None:
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        return bentoml.models.get(tag)
    except NotFound:
        return None


def missing_models(config: ServingConfig) -> list[str]:
    """The trainable served models absent from the store."""
    return [m.name for m in config.models if m.trainable and _stored(m.tag) is None]


def _message(missing: list[str]) -> str:
    home = os.environ.get("BENTOML_HOME", "~/bentoml")
    return (
        f"the BentoML store ({home}) has no model {', '.join(missing)}: train with "
        "`python -m pipelines.run`, then run `python -m services.export` in the stack root"
    )


def require_models(config: ServingConfig) -> None:
    """Raise :class:`ModelsMissing` naming every model the store lacks and how to add it."""
    missing = missing_models(config)
    if missing:
        raise ModelsMissing(_message(missing))


def _load(stored: Any) -> Any:
    import cloudpickle

    with open(stored.path_of(MODEL_FILE), "rb") as handle:
        return cloudpickle.load(handle)


def load_tagged(tag: str) -> tuple[Any, str] | None:
    """The fitted object stored as ``tag`` and the ZenML version it was exported from, or
    None when the store has no such model."""
    stored = _stored(tag)
    if stored is None:
        return None
    return _load(stored), str(stored.info.metadata.get("zenml_version", "unknown"))


def load_stage_models(config: ServingConfig) -> tuple[dict[tuple[str, str], Any], list[str]]:
    """The fitted object of each (model, stage) the experiment arms serve besides production
    and found in the store, and a line for each one absent (its arms get production)."""
    loaded: dict[tuple[str, str], Any] = {}
    absent: list[str] = []
    for model, stage in arm_stages(config):
        stored = _stored(stage_tag(model, stage)) if model.trainable else None
        if stored is None:
            absent.append(
                f"model {model.name!r} has no exported {stage} version: the experiment arms "
                f"that ask for it are served by production (register a {stage} version and "
                "run `python -m services.export` to serve it)"
            )
            continue
        loaded[(model.name, stage)] = _load(stored)
    return loaded, absent


def load_models(config: ServingConfig) -> Mapping[str, Any]:
    """The fitted object of every trainable served model, keyed by model name.

    Raises:
        ModelsMissing: a model is not in the store.
    """
    require_models(config)
    loaded: dict[str, Any] = {}
    for model in config.models:
        if not model.trainable:
            continue
        stored = _stored(model.tag)
        if stored is None:
            raise ModelsMissing(_message([model.name]))
        loaded[model.name] = _load(stored)
    return loaded


def model_versions(config: ServingConfig) -> dict[str, str]:
    """The ZenML version of each stored model the service serves: ``<model>`` for
    production, ``<model>@<stage>`` for another stage an experiment arm serves.

    ``services.export`` records the version in the stored model's metadata; every answer
    carries these, so an outcome joins the version that made the prediction.
    """
    versions: dict[str, str] = {}
    for model in config.models:
        stored = _stored(model.tag) if model.trainable else None
        if stored is not None:
            versions[model.name] = str(stored.info.metadata.get("zenml_version", "unknown"))
    for model, stage in arm_stages(config):
        stored = _stored(stage_tag(model, stage)) if model.trainable else None
        if stored is not None:
            number = str(stored.info.metadata.get("zenml_version", "unknown"))
            versions[f"{model.name}@{stage}"] = number
    return versions
