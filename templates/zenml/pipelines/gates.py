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


def _missing(gate: GateSpec, name: str, metrics: Mapping[str, float]) -> str:
    """Why a gate has no value: the evaluation never produced the metric, or it was NaN."""
    if name in metrics:
        return f"{name} could not be measured on this hold-out (NaN)"
    where = f" for any value of {gate.by}" if gate.by is not None else ""
    produced = ", ".join(sorted(n for n in metrics if "[" not in n)) or "none"
    return f"the evaluation produced no {gate.metric}{where} (it produced: {produced})"


def check_gates(gates: Sequence[GateSpec], metrics: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per gate and segment: ``{"metric", "value", "min", "max", "passed", "reason"}``.

    A metric the evaluation could not compute fails its gate: a candidate is promoted only on
    evidence. ``reason`` then says which metric was missing and what was computed instead, so
    the run's summary explains the failure rather than showing an empty value.
    """
    rows = []
    for gate in gates:
        for name, value in sorted(_values(gate, metrics).items()):
            measured = not math.isnan(value)
            passed = measured
            passed = passed and (gate.min is None or value >= gate.min)
            passed = passed and (gate.max is None or value <= gate.max)
            rows.append(
                {
                    "metric": name,
                    "value": value if measured else None,
                    "min": gate.min,
                    "max": gate.max,
                    "passed": passed,
                    "reason": None if measured else _missing(gate, name, metrics),
                }
            )
    return rows
