"""The rollout state: which candidate version takes which share of traffic, read by the service.

One JSON file, ``.mlopsgen/rollout.json`` in the stack root (``MLOPSGEN_ROLLOUT_STATE`` names
another path, e.g. a mounted ConfigMap on a cluster), holds one entry per model being rolled
out. ``python -m pipelines.rollout`` writes it; the service re-reads it when its modification
time changes, so a step advances or a rollback takes effect without a restart. Writes go to a
temporary file renamed over the old one: a reader sees the old state or the new one, never
half of each. Standard library only: the service reads this on the request path.

The controller reaches the state through a store (:func:`open_store`): this file, or, when
``MLOPSGEN_ROLLOUT_CONFIGMAP`` names ``<namespace>/<name>``, that ConfigMap through the
Kubernetes API (:mod:`pipelines.rollout.configmap`), the same JSON under the key
``rollout.json``; the service's pods mount that ConfigMap and read the file.

An entry's ``status`` is ``running`` (the candidate takes ``steps_percent[step]`` percent of
the units), ``promoted`` (the candidate is production in the Model Control Plane; a service
still holding the older production model sends it every unit until it is exported again) or
``rolled_back`` (no unit goes to the candidate; ``reason`` says why).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "PROMOTED",
    "ROLLED_BACK",
    "RUNNING",
    "STATE_VARIABLE",
    "Change",
    "FileStore",
    "Rollout",
    "Store",
    "decode_rollouts",
    "encode_rollouts",
    "open_store",
    "read_rollouts",
    "state_path",
    "write_rollouts",
]

STATE_VARIABLE = "MLOPSGEN_ROLLOUT_STATE"
DEFAULT_STATE = Path(".mlopsgen") / "rollout.json"
RUNNING = "running"
PROMOTED = "promoted"
ROLLED_BACK = "rolled_back"


def state_path(root: Path) -> Path:
    """The state file: ``MLOPSGEN_ROLLOUT_STATE``, else ``.mlopsgen/rollout.json`` under ``root``."""
    chosen = os.environ.get(STATE_VARIABLE)
    return Path(chosen) if chosen else root / DEFAULT_STATE


@dataclass(frozen=True)
class Rollout:
    """One model's rollout: its candidate, the production it replaces, and where it stands."""

    model: str
    candidate: str
    baseline: str | None
    strategy: str
    steps_percent: tuple[float, ...]
    step_minutes: int
    step: int
    step_started: str
    status: str
    #: Salt of the unit hash: a new rollout (another candidate) reshuffles the units.
    salt: str
    reason: str | None = None
    gates_bypassed: bool = False
    #: The canary's cumulative row counters when the step started (``rows``, ``errors``).
    counters: Mapping[str, float] = field(default_factory=dict)
    history: tuple[Mapping[str, Any], ...] = ()

    @property
    def percent(self) -> float:
        """The share of units (percent) the candidate answers now."""
        if self.status == RUNNING:
            return self.steps_percent[self.step]
        return 100.0 if self.status == PROMOTED else 0.0

    @property
    def shadow(self) -> bool:
        """Whether the candidate scores its units beside production without answering them."""
        return self.strategy == "shadow"

    @property
    def last_step(self) -> bool:
        """Whether the current step is the last (the candidate takes every unit)."""
        return self.step == len(self.steps_percent) - 1

    def moved(self, **changes: Any) -> Rollout:
        """A copy with ``changes`` and a history line of the move."""
        event = {k: v for k, v in changes.items() if k in ("status", "step", "reason", "at")}
        at = changes.pop("at", None)
        if at is not None:
            changes.setdefault("step_started", at)
        return replace(self, history=(*self.history, event), **changes)

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON data."""
        data = asdict(self)
        data["steps_percent"] = list(self.steps_percent)
        data["history"] = [dict(h) for h in self.history]
        data["counters"] = dict(self.counters)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rollout:
        """An entry read back (see :meth:`to_json`)."""
        return cls(
            model=str(data["model"]),
            candidate=str(data["candidate"]),
            baseline=None if data.get("baseline") is None else str(data["baseline"]),
            strategy=str(data.get("strategy", "canary")),
            steps_percent=tuple(float(p) for p in data["steps_percent"]),
            step_minutes=int(data["step_minutes"]),
            step=int(data["step"]),
            step_started=str(data["step_started"]),
            status=str(data["status"]),
            salt=str(data["salt"]),
            reason=data.get("reason"),
            gates_bypassed=bool(data.get("gates_bypassed", False)),
            counters={str(k): float(v) for k, v in (data.get("counters") or {}).items()},
            history=tuple(dict(h) for h in data.get("history") or ()),
        )


def decode_rollouts(text: str) -> dict[str, Rollout]:
    """Every model's rollout in the state's JSON text."""
    data = json.loads(text)
    return {name: Rollout.from_json(entry) for name, entry in data["rollouts"].items()}


def encode_rollouts(rollouts: Mapping[str, Rollout]) -> str:
    """The state's JSON text: models sorted, keys sorted, one trailing newline."""
    data = {"rollouts": {name: rollouts[name].to_json() for name in sorted(rollouts)}}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def read_rollouts(path: Path) -> dict[str, Rollout]:
    """Every model's rollout in the file at ``path`` (none when there is no file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return decode_rollouts(text)


def write_rollouts(path: Path, rollouts: Mapping[str, Rollout]) -> None:
    """Replace the file at ``path`` with ``rollouts`` in one rename (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(encode_rollouts(rollouts), encoding="utf-8")
    os.replace(temporary, path)


#: A change to the state: the new rollouts from the current ones (it may raise to refuse).
Change = Callable[[dict[str, Rollout]], dict[str, Rollout]]


class Store(Protocol):
    """Where the controller loads and saves the state."""

    def load(self) -> dict[str, Rollout]:
        """Every model's rollout (none when there is no state yet)."""
        ...

    def update(self, change: Change) -> dict[str, Rollout]:
        """Apply ``change`` to the current state and save the result; the state saved."""
        ...


@dataclass(frozen=True)
class FileStore:
    """The state file (:func:`state_path`): one process acts on it at a time."""

    path: Path

    def load(self) -> dict[str, Rollout]:
        """Every model's rollout in the file."""
        return read_rollouts(self.path)

    def update(self, change: Change) -> dict[str, Rollout]:
        """Read the file, apply ``change`` and replace the file with the result."""
        after = change(read_rollouts(self.path))
        write_rollouts(self.path, after)
        return after


def open_store(root: Path) -> Store:
    """The ConfigMap that ``MLOPSGEN_ROLLOUT_CONFIGMAP`` names, else the state file."""
    from pipelines.rollout.configmap import CONFIGMAP_VARIABLE, ConfigMapStore

    named = os.environ.get(CONFIGMAP_VARIABLE)
    if named:
        return ConfigMapStore.named(named)
    return FileStore(state_path(root))
