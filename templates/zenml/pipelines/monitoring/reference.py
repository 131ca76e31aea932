"""The reference a window is compared with: the rows the production model was trained on.

They are read from ZenML's Model Control Plane, as the ``rows`` artifact (the ingest step's
output) of the model's ``production`` version, rather than from ``data/sources/``: that file
holds the newest synthetic draw only, not what the serving model learnt from, and a declared
source is never copied there. A retrained candidate the gates keep in staging does not move
the reference either. A large training set is sampled down to :data:`REFERENCE_ROWS` rows with
a fixed seed, which leaves its sampling noise far below the window's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pipelines.data import SEED

__all__ = ["REFERENCE_ROWS", "Reference", "last_training", "production_reference"]

REFERENCE_ROWS = 200_000


@dataclass(frozen=True)
class Reference:
    """The training rows of a model's production version, and which version that is."""

    rows: pd.DataFrame
    version: str


def production_reference(model_name: str) -> Reference | None:
    """The rows model ``model_name``'s production version was trained on; None without one."""
    version = _version(model_name, "production")
    if version is None:
        return None
    artifact = version.get_artifact("rows")
    if artifact is None:
        return None
    rows: pd.DataFrame = artifact.load()
    if len(rows) > REFERENCE_ROWS:
        rows = rows.sample(n=REFERENCE_ROWS, random_state=SEED)
    return Reference(rows=rows.reset_index(drop=True), version=str(version.number))


def last_training(model_name: str) -> datetime | None:
    """When model ``model_name``'s newest version was created, whatever the gates decided.

    A candidate kept out of production was still trained on every label there was then, so
    labels count as new only after it.
    """
    version = _version(model_name, "latest")
    if version is None:
        return None
    created: datetime = version.created
    # the store keeps UTC without a zone
    return created if created.tzinfo is not None else created.replace(tzinfo=UTC)


def _version(model_name: str, stage: str) -> Any:
    """The model version in ``stage`` (``production``, ``latest``), or None: looked up through
    the client, which (unlike ``Model(...)``) creates nothing when the model is missing."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    try:
        return Client().get_model_version(model_name, ModelStages(stage))
    except KeyError:
        return None
