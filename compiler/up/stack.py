"""What ``up`` needs to know of a built stack: its serving plan and its service's import path.

The stack's ``plan.json`` is the Plan as data; the serving section says whether there is a
realtime service at all, its name, latency objective and capacity. The service's module and
class follow from the service name by the BentoML target's naming rule (a Python identifier,
a keyword getting a trailing ``_``; the class is its PascalCase).
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.diagnostics import MlopsgenError
from mlopsgen.run.result import EXIT_FAILED

__all__ = ["ServingSummary", "UpError", "service_target"]


class UpError(MlopsgenError):
    """A step of ``up`` failed; the message says which, the hint what to do (exit code 4,
    or 3 when no model reached production)."""

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int = EXIT_FAILED):
        self.hint = hint
        self.exit_code = exit_code
        super().__init__(message)


def service_target(service_name: str) -> tuple[str, str]:
    """The service's package under ``services/`` and its class: ``fraud-detection`` ->
    (``fraud_detection``, ``FraudDetection``)."""
    package = re.sub(r"\W", "_", service_name, flags=re.ASCII)
    if package[:1].isdigit():
        package = f"_{package}"
    if keyword.iskeyword(package):
        package = f"{package}_"
    return package, "".join(part[:1].upper() + part[1:] for part in package.split("_") if part)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True)
class ServingSummary:
    """The serving facts ``up`` prints beside what it measured, and how it serves."""

    service_name: str
    mode: str
    realtime: bool
    batch: bool
    latency_p95_ms: float | None
    replicas: int | None
    per_replica_rps: float | None
    id_fields: tuple[str, ...]

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> ServingSummary:
        """The summary of a Plan given as ``plan.json`` data."""
        serving = plan.get("serving") or {}
        capacity = serving.get("capacity") or {}
        replicas = _number(capacity.get("replicas"))
        fields = serving.get("request_fields") or []
        return cls(
            service_name=str(serving.get("service_name") or plan["system"]["name"]),
            mode=str(serving.get("mode") or "realtime"),
            realtime=bool(serving.get("realtime", False)),
            batch=serving.get("batch") is not None,
            latency_p95_ms=_number(serving.get("latency_p95_ms")),
            replicas=int(replicas) if replicas is not None else None,
            per_replica_rps=_number(capacity.get("per_replica_rps")),
            id_fields=tuple(
                str(f["name"]) for f in fields if f.get("role") in ("id", "entity", "partition")
            ),
        )

    @classmethod
    def read(cls, stack: Path) -> ServingSummary:
        """The summary of the stack's ``plan.json``.

        Raises:
            UpError: the file is missing or is not a Plan.
        """
        path = stack / "plan.json"
        try:
            return cls.from_plan(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UpError(
                f"cannot read the serving plan in {path}: {exc}",
                "rebuild the stack: mlopsgen build SPEC --force",
            ) from None

    @property
    def target(self) -> tuple[str, str]:
        """The service's package and class (see :func:`service_target`)."""
        return service_target(self.service_name)
