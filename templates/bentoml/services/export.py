"""Copy each served model's production version into the BentoML model store.

``python -m services.export`` (in the stack root, after training): for every trainable model
the service calls, the ``model`` artifact of its Model Control Plane ``production`` version
is saved as the BentoML model ``<model name>`` with ``bentoml.models.create``: a cloudpickle
of the fitted object, so every family exports the same way (``bentoml.sklearn`` would refuse
the families' wrappers, which are not estimators) and the family's ``predict`` scores it at
serve time; the ZenML model and version go in its metadata. Serving then needs the BentoML store only, never
ZenML. Exit codes: 0 every model exported, 3 a model has no production version (nothing is
exported then: a service must not start with a mix of fresh and stale models).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.serving_plan import ServedModel, ServingConfig

__all__ = ["MODEL_FILE", "NoProductionVersion", "export_models", "main"]

EXIT_NO_PRODUCTION = 3
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


def _production(model: ServedModel) -> tuple[Any, str]:
    """The fitted object and version number of ``model``'s production version."""
    from pipelines.models import model_version

    try:
        version = model_version(model.name)
        artifact = version.get_artifact("model")
    except (KeyError, RuntimeError) as err:
        # ZenML raises KeyError when the model has versions but none in production, and
        # RuntimeError when the model was never registered (it refuses to create a version
        # named after a stage).
        raise NoProductionVersion(
            f"model {model.name!r} has no production version: train it with "
            f"`python -m pipelines.run --pipeline train_{model.name}` until its gates pass"
        ) from err
    if artifact is None:
        raise NoProductionVersion(
            f"model {model.name!r}: its production version has no 'model' artifact"
        )
    return artifact.load(), str(version.number)


def export_models(config: ServingConfig) -> list[Exported]:
    """Save every trainable served model's production version; return what was saved.

    Raises:
        NoProductionVersion: a model has no production version (checked for every model
            before anything is written).
    """
    import bentoml
    import cloudpickle

    found = [(m, *_production(m)) for m in config.models if m.trainable]
    done = []
    for model, fitted, number in found:
        metadata = {
            "zenml_model": model.name,
            "zenml_version": number,
            "task": model.task,
            "family": _family(model.task),
        }
        labels = {"service": config.service_name}
        with (
            bentoml.models.create(model.tag, labels=labels, metadata=metadata) as saved,
            open(saved.path_of(MODEL_FILE), "wb") as out,
        ):
            cloudpickle.dump(fitted, out)
        done.append(Exported(model=model.name, zenml_version=number, tag=str(saved.tag)))
    return done


def _family(task: str) -> str:
    from pipelines.tasks import FAMILY_OF_TASK

    return FAMILY_OF_TASK[task]


def main(argv: Sequence[str] | None = None) -> int:
    """Export the production models; print one line per model."""
    parser = argparse.ArgumentParser(prog="python -m services.export", description=__doc__)
    parser.parse_args(argv)
    config = ServingConfig.load()
    try:
        exported = export_models(config)
    except NoProductionVersion as err:
        print(f"export failed: {err}", file=sys.stderr)
        return EXIT_NO_PRODUCTION
    for item in exported:
        print(f"{item.model}: zenml version {item.zenml_version} -> bentoml model {item.tag}")
    if not exported:
        print("no trainable model to export: the service scores without stored models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
