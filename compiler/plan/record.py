"""Collecting decisions and diagnostics while the plan is built, and printing numbers.

Every planning module receives one :class:`Recorder`. It turns spec paths into dotted
sources, keeps the decisions in one list (sorted when the plan is frozen) and collects the
planning diagnostics, so no planning function prints or raises for a finding about the spec.

Numbers in ``computed`` strings are printed with :func:`fmt` (four significant digits, no
exponent) and stored values are passed through :func:`clean` (six significant digits), so a
snapshot never changes because of float noise such as ``0.30000000000000004``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mlopsgen.diagnostics import Diagnostic, error, warning
from mlopsgen.plan.ir.base import DecisionRecord, Value
from mlopsgen.spec.source_map import SourceMap, SpecPath, dotted


def clean(value: float, digits: int = 6) -> float:
    """Round a float to ``digits`` significant digits so stored values carry no float noise."""
    if value == 0 or not math.isfinite(value):
        return value
    magnitude = math.floor(math.log10(abs(value)))
    return round(value, max(digits - 1 - magnitude, 0))


def fmt(value: float | int | None, digits: int = 4) -> str:
    """Print a number for a ``computed`` string: 4 significant digits, plain notation.

    Integers (and floats that are whole numbers) print in full, so ``100000`` stays
    ``100000`` rather than ``1e+05``; other values print without an exponent and without
    trailing zeros (``0.7004``, ``89.29``, ``0.0001``).
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class Recorder:
    """Decisions and diagnostics of one planning run, with the spec's source map."""

    source_map: SourceMap
    decisions: list[DecisionRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def loc(self, path: SpecPath) -> str:
        """The dotted spec path a decision cites (``slo.availability``).

        The Plan cites paths, not lines, so it does not change when keys are reordered or
        comments edited; ``mlopsgen plan`` turns them into ``file:line`` with the source map.
        """
        return dotted(path)

    def add(
        self,
        name: str,
        value: Value,
        *,
        formula: str,
        computed: str,
        inputs: Mapping[str, Value],
        sources: Sequence[SpecPath],
        reason: str,
        unit: str | None = None,
    ) -> None:
        """Record one decision; sources are spec paths, cited sorted and unique."""
        locations = sorted(set(map(self.loc, sources)))
        self.decisions.append(
            DecisionRecord(
                name=name,
                value=value,
                unit=unit,
                formula=formula,
                computed=computed,
                inputs=dict(sorted(inputs.items())),
                sources=tuple(locations),
                reason=reason,
            )
        )

    def warn(self, code: str, message: str, path: SpecPath, hint: str | None = None) -> None:
        """Record a planning warning pointing at ``path`` in the spec."""
        self.diagnostics.append(warning(code, message, self.source_map.key_span(path), hint, path))

    def fail(self, code: str, message: str, path: SpecPath, hint: str | None = None) -> None:
        """Record a planning error: the spec asks for something the plan cannot deliver."""
        self.diagnostics.append(error(code, message, self.source_map.key_span(path), hint, path))

    def sorted_decisions(self) -> tuple[DecisionRecord, ...]:
        """Decisions ordered by name; a duplicate name is a planner bug, so it raises."""
        names = [d.name for d in self.decisions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"decision names recorded twice: {', '.join(duplicates)}")
        return tuple(sorted(self.decisions, key=lambda d: d.name))
