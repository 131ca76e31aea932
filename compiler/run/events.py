"""Progress events a stack run writes as JSON lines, read while the run goes on.

The stack's ``pipelines.run`` appends ``{"event": "pipeline"|"step", "name", "status":
"started"|"completed"|"failed", "pipeline"}`` to the file ``MLOPSGEN_EVENTS`` names. The
reader keeps its offset and a partial last line between polls, so a line the writer has not
finished is read on the next poll rather than lost or misparsed; a line that is not an event
is skipped (the display is a courtesy, never a reason for a run to fail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Event", "EventReader"]

KINDS = frozenset({"pipeline", "step"})
STATUSES = frozenset({"started", "completed", "failed"})


@dataclass(frozen=True)
class Event:
    """One progress event: a pipeline or a step started, completed or failed."""

    kind: str
    name: str
    status: str
    pipeline: str

    @classmethod
    def parse(cls, line: str) -> Event | None:
        """The event a line holds, or None for anything else."""
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        kind, name, status = data.get("event"), data.get("name"), data.get("status")
        pipeline = data.get("pipeline", name)
        if kind not in KINDS or status not in STATUSES:
            return None
        if not isinstance(name, str) or not isinstance(pipeline, str):
            return None
        return cls(str(kind), name, str(status), pipeline)


class EventReader:
    """Reads the events appended to one file since the last poll."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._partial = b""

    def poll(self) -> list[Event]:
        """Events whose lines were completed since the last call (none if no file yet)."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        events = (Event.parse(line.decode("utf-8", "replace")) for line in lines if line.strip())
        return [event for event in events if event is not None]
