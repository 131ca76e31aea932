"""The promotion gates: each metric's bound, checked against the hold-out metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.stack_plan import GateSpec

__all__ = ["check_gates"]


def _values(gate: GateSpec, metrics: Mapping[str, float]) -> dict[str, float]:
    """The metric overall, or per segment (``metric[column=value]``) for a gate with ``by``."""
    if gate.by is None:
        return {gate.metric: metrics.get(gate.metric, math.nan)}
    prefix = f"{gate.metric}[{gate.by}="
    found = {name: value for name, value in metrics.items() if name.startswith(prefix)}
    return found or {f"{prefix}?]": math.nan}


def check_gates(gates: Sequence[GateSpec], metrics: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per gate and segment: ``{"metric", "value", "min", "max", "passed"}``.

    A metric the evaluation could not compute fails its gate: a candidate is promoted only on
    evidence.
    """
    rows = []
    for gate in gates:
        for name, value in sorted(_values(gate, metrics).items()):
            passed = not math.isnan(value)
            passed = passed and (gate.min is None or value >= gate.min)
            passed = passed and (gate.max is None or value <= gate.max)
            rows.append(
                {
                    "metric": name,
                    "value": None if math.isnan(value) else value,
                    "min": gate.min,
                    "max": gate.max,
                    "passed": passed,
                }
            )
    return rows
