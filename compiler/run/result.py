"""What a run produced: ``.mlopsgen/last-run.json``, read into typed results, and exit codes.

The stack's ``pipelines.run`` writes ``{"status": "promoted"|"kept_out"|"failed", "error",
"models": [{"name", "version", "stage", "promoted", "metrics", "gates", "oracle"}]}``. The
exit code of ``mlopsgen run`` follows it: 0 when every model was promoted, 3 when the run
worked but a gate kept a candidate out (normal for a scheduled run, so a scheduler can tell it
from a failure), 4 when the run failed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_FAILED",
    "EXIT_KEPT_OUT",
    "EXIT_PROMOTED",
    "GateResult",
    "ModelResult",
    "RunResult",
    "read_result",
]

EXIT_PROMOTED = 0
EXIT_KEPT_OUT = 3
EXIT_FAILED = 4
EXIT_CODES = {"promoted": EXIT_PROMOTED, "kept_out": EXIT_KEPT_OUT, "failed": EXIT_FAILED}
RESULT_FILE = Path(".mlopsgen") / "last-run.json"


@dataclass(frozen=True)
class GateResult:
    """One gate of one model: the metric, its value, the bounds, and whether it passed.

    ``reason`` says why a gate has no value (the evaluation did not produce its metric).
    """

    metric: str
    value: float | None
    min: float | None
    max: float | None
    passed: bool
    reason: str | None = None


@dataclass(frozen=True)
class ModelResult:
    """One model's outcome: the version registered, its stage, metrics and gates."""

    name: str
    version: str
    stage: str
    promoted: bool
    metrics: dict[str, float] = field(default_factory=dict)
    gates: tuple[GateResult, ...] = ()

    @property
    def failed_gates(self) -> tuple[GateResult, ...]:
        """The gates that kept this model out."""
        return tuple(g for g in self.gates if not g.passed)


@dataclass(frozen=True)
class RunResult:
    """The whole run's outcome."""

    status: str
    error: str | None
    models: tuple[ModelResult, ...]

    @property
    def exit_code(self) -> int:
        """0 promoted, 3 kept out by a gate, 4 failed."""
        return EXIT_CODES[self.status]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _gate(data: Mapping[str, Any]) -> GateResult:
    return GateResult(
        metric=str(data.get("metric", "?")),
        value=_number(data.get("value")),
        min=_number(data.get("min")),
        max=_number(data.get("max")),
        passed=bool(data.get("passed", False)),
        reason=str(data["reason"]) if data.get("reason") else None,
    )


def _model(data: Mapping[str, Any]) -> ModelResult:
    metrics = data.get("metrics") or {}
    gates = data.get("gates") or []
    return ModelResult(
        name=str(data["name"]),
        version=str(data.get("version", "?")),
        stage=str(data.get("stage") or "none"),
        promoted=bool(data.get("promoted", False)),
        metrics={
            str(k): number for k, v in sorted(metrics.items()) if (number := _number(v)) is not None
        },
        gates=tuple(_gate(g) for g in gates if isinstance(g, Mapping)),
    )


def read_result(stack: Path) -> RunResult:
    """The result the last run wrote in ``stack``.

    Raises:
        ValueError: the file is missing or does not follow the contract (the message says how).
    """
    path = stack / RESULT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"the run wrote no {RESULT_FILE}") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {RESULT_FILE}: {exc}") from None
    if not isinstance(data, dict) or data.get("status") not in EXIT_CODES:
        raise ValueError(f"{RESULT_FILE} has no status among {', '.join(EXIT_CODES)}")
    models = data.get("models") or []
    try:
        parsed = tuple(_model(m) for m in models if isinstance(m, Mapping))
    except (KeyError, AttributeError) as exc:
        raise ValueError(f"{RESULT_FILE}: a model entry lacks {exc}") from None
    error = data.get("error")
    return RunResult(str(data["status"]), str(error) if error else None, parsed)
