"""Progress events for ``mlopsgen run``: JSON lines appended to ``$MLOPSGEN_EVENTS``.

Each line is ``{"event": "pipeline"|"step", "name", "status", "pipeline"}``. Without the
variable nothing is written; writing never fails a run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["EVENTS_VARIABLE", "emit", "step_events"]

EVENTS_VARIABLE = "MLOPSGEN_EVENTS"


def emit(event: str, name: str, status: str, pipeline: str) -> None:
    """Append one event line, when ``$MLOPSGEN_EVENTS`` names a file."""
    target = os.environ.get(EVENTS_VARIABLE)
    if not target:
        return
    line = json.dumps({"event": event, "name": name, "status": status, "pipeline": pipeline})
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass


def _pipeline_name() -> str:
    try:
        from zenml import get_step_context

        return str(get_step_context().pipeline.name)
    except RuntimeError:  # outside a step (a user calling the function directly)
        return ""


@contextmanager
def step_events(name: str) -> Iterator[None]:
    """Emit ``started``, then ``completed`` or ``failed``, around a step's body."""
    pipeline = _pipeline_name()
    emit("step", name, "started", pipeline)
    try:
        yield
    except BaseException:
        emit("step", name, "failed", pipeline)
        raise
    emit("step", name, "completed", pipeline)
