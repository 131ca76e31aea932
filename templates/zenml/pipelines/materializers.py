"""How fitted models are stored: pickled, so any family's fitted object round-trips.

ZenML's fallback for unknown types warns on every save; this materializer says plainly what
it does. Loading a pickle runs code: load only models this stack's own pipelines wrote.
"""

from __future__ import annotations

import os
import pickle
from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.materializers.base_materializer import BaseMaterializer

__all__ = ["PickleMaterializer"]

_FILE = "model.pkl"


class PickleMaterializer(BaseMaterializer):
    """Stores any picklable object as ``model.pkl`` in the artifact store."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (object,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.MODEL

    def load(self, data_type: type[Any]) -> Any:
        """Read the object back."""
        with self.artifact_store.open(os.path.join(self.uri, _FILE), "rb") as handle:
            return pickle.load(handle)  # written by this stack's own pipeline

    def save(self, data: Any) -> None:
        """Write the object."""
        with self.artifact_store.open(os.path.join(self.uri, _FILE), "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
