"""What ``up`` needs to know of a built stack: its serving plan and its service's import path.

The stack's ``plan.json`` is the Plan as data; the serving section says whether there is a
realtime service at all, its name, latency objective and capacity. The service's module and
class are read from the stack's bentofile (``service: services.<package>.service:<Class>``),
which the BentoML target wrote with its own naming rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.diagnostics import MlopsgenError
from mlopsgen.run.result import EXIT_FAILED

__all__ = ["IMPORT_PATH", "ServingSummary", "UpError", "service_import_path"]


class UpError(MlopsgenError):
    """A step of ``up`` failed; the message says which, the hint what to do (exit code 4,
    or 3 when no model reached production)."""

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int = EXIT_FAILED):
        self.hint = hint
        self.exit_code = exit_code
        super().__init__(message)


#: What a bentofile's ``service:`` names: ``services.<package>.service:<Class>``.
IMPORT_PATH = re.compile(r"services\.[A-Za-z_][A-Za-z0-9_]*\.service:[A-Za-z_][A-Za-z0-9_]*")
_SERVICE_LINE = re.compile(r"""^service:\s*["']?([^"'\s#]+)["']?\s*(?:#.*)?$""", re.MULTILINE)


def service_import_path(stack: Path) -> str:
    """The service ``bentoml serve`` starts, as the stack's bentofile names it (the BentoML
    target's own naming, never derived again here).

    Raises:
        UpError: the stack has no service, or its bentofile names none.
    """
    bentofiles = sorted((stack / "services").glob("*/bentofile.yaml"))
    if not bentofiles:
        raise UpError(
            f"{stack} has no service to start (services/<service>/bentofile.yaml)",
            "this version of mlopsgen generates no BentoML service for this spec",
        )
    try:
        text = bentofiles[0].read_text(encoding="utf-8")
    except OSError as exc:
        raise UpError(f"cannot read {bentofiles[0]}: {exc.strerror or exc}") from None
    found = _SERVICE_LINE.search(text)
    if found is None or not IMPORT_PATH.fullmatch(found.group(1)):
        raise UpError(
            f"{bentofiles[0]} names no service as services.<package>.service:<Class>",
            "rebuild the stack: mlopsgen build SPEC --force",
        )
    return found.group(1)


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
    workers: int | None = None
    """Worker processes per replica in the Plan."""
    language: bool = False
    """Whether the service is a language model's engine (OpenAI chat completions)."""
    first_token_p95_ms: float | None = None
    """The spec's time-to-first-token objective of the served language model."""
    per_token_p95_ms: float | None = None
    """The spec's time-per-output-token objective of the served language model."""
    planned_first_token_p95_ms: float | None = None
    """What the Plan expects the first token to take on the planned GPUs, under load."""
    planned_per_token_p95_ms: float | None = None
    """What the Plan expects a token to take on the planned GPUs, under load."""

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> ServingSummary:
        """The summary of a Plan given as ``plan.json`` data."""
        serving = plan.get("serving") or {}
        capacity = serving.get("capacity") or {}
        replicas = _number(capacity.get("replicas"))
        workers = _number((serving.get("replica") or {}).get("workers"))
        fields = serving.get("request_fields") or []
        llm = next(
            (m["llm"] for m in plan.get("models") or [] if m.get("llm") and m.get("served")),
            None,
        )
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
            workers=int(workers) if workers is not None else None,
            language=llm is not None,
            first_token_p95_ms=_number((llm or {}).get("slo_ttft_p95_ms")),
            per_token_p95_ms=_number((llm or {}).get("slo_tpot_p95_ms")),
            planned_first_token_p95_ms=_number((llm or {}).get("ttft_p95_ms")),
            planned_per_token_p95_ms=_number((llm or {}).get("tpot_p95_ms")),
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
