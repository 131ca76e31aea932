"""Collecting decisions and diagnostics while the plan is built, and printing numbers.

Every planning module receives one :class:`Recorder`. It turns spec paths into dotted
sources, keeps the decisions in one list (sorted when the plan is frozen) and collects the
planning diagnostics, so no planning function prints or raises for a finding about the spec.

Numbers in ``computed`` strings are printed with :func:`fmt` (four significant digits, no
exponent) and stored values are passed through :func:`clean` (six significant digits), so a
snapshot never changes because of float noise such as ``0.30000000000000004``.
"""

from __future__ import annotations

__all__ = ["SINGULAR", "Recorder", "clean", "count", "fmt", "lines", "noun"]

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mlopsgen.diagnostics import Diagnostic, Edit, error, warning
from mlopsgen.plan.ir.base import DecisionRecord, Value
from mlopsgen.spec.source_map import SourceMap, SpecPath, dotted
from mlopsgen.wording import SINGULAR, clean, count, fmt, lines, noun


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
        formula: str | Sequence[str],
        computed: str | Sequence[str],
        inputs: Mapping[str, Value],
        sources: Sequence[SpecPath],
        reason: str,
        unit: str | None = None,
    ) -> None:
        """Record one decision; sources are spec paths, cited sorted and unique.

        ``formula`` and ``computed`` may be lists: several rules or results of one decision,
        stored one per line (see :func:`lines`).
        """
        locations = sorted(set(map(self.loc, sources)))
        self.decisions.append(
            DecisionRecord(
                name=name,
                value=value,
                unit=unit,
                formula=lines(formula),
                computed=lines(computed),
                inputs=dict(sorted(inputs.items())),
                sources=tuple(locations),
                reason=reason,
            )
        )

    def warn(
        self,
        code: str,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        fix: Sequence[Edit] = (),
    ) -> None:
        """Record a planning warning pointing at ``path``; ``fix`` is the hint as edits."""
        span = self.source_map.key_span(path)
        self.diagnostics.append(warning(code, message, span, hint, path, fix))

    def fail(
        self,
        code: str,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        fix: Sequence[Edit] = (),
    ) -> None:
        """Record a planning error: the spec asks for something the plan cannot deliver."""
        span = self.source_map.key_span(path)
        self.diagnostics.append(error(code, message, span, hint, path, fix))

    def absorb(self, other: Recorder) -> None:
        """Take the decisions and diagnostics another recorder collected (a design planned
        on its own recorder while alternatives were compared, then chosen)."""
        self.decisions.extend(other.decisions)
        self.diagnostics.extend(other.diagnostics)

    def sorted_decisions(self) -> tuple[DecisionRecord, ...]:
        """Decisions ordered by name; a duplicate name is a planner bug, so it raises."""
        seen = Counter(d.name for d in self.decisions)
        duplicates = sorted(name for name, times in seen.items() if times > 1)
        if duplicates:
            raise ValueError(f"decision names recorded twice: {', '.join(duplicates)}")
        return tuple(sorted(self.decisions, key=lambda d: d.name))
