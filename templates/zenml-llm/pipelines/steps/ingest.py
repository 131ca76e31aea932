"""Step ``ingest``: the model's chats, made from its source's question and answer columns."""

from __future__ import annotations

from typing import Annotated

from zenml import step

from pipelines.chats import make_chats
from pipelines.events import step_events
from pipelines.language_plan import language_model


@step
def ingest(model_name: str, rows: int = 0) -> Annotated[list[dict[str, str]], "chats"]:
    """Synthetic chats of model ``model_name`` (``rows`` of them; a few hundred when 0)."""
    with step_events("ingest"):
        return make_chats(language_model(model_name), rows)
