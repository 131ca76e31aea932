"""Load the service's models from the BentoML model store, where ``services.export`` put them.

A missing model stops the service before it takes traffic, with the commands that fix it:
serving a partial set of models would answer with a different decision than the plan's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from services.export import MODEL_FILE
from services.serving_plan import ServingConfig

__all__ = ["ModelsMissing", "load_models", "missing_models", "require_models"]


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


def load_models(config: ServingConfig) -> Mapping[str, Any]:
    """The fitted object of every trainable served model, keyed by model name.

    Raises:
        ModelsMissing: a model is not in the store.
    """
    import cloudpickle

    require_models(config)
    loaded: dict[str, Any] = {}
    for model in config.models:
        if not model.trainable:
            continue
        stored = _stored(model.tag)
        if stored is None:
            raise ModelsMissing(_message([model.name]))
        with open(stored.path_of(MODEL_FILE), "rb") as handle:
            loaded[model.name] = cloudpickle.load(handle)
    return loaded
