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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mlopsgen.diagnostics import Diagnostic, Edit, error, warning
from mlopsgen.plan.ir_base import Decision, Value
from mlopsgen.spec.source_map import Path, SourceMap, dotted


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


#: Count nouns a plan prints after a number, by their plural. Units that are measures
#: (``ms``, ``GB``, ``USD/month``) read the same for one and for many and are not listed.
SINGULAR = {
    "clusters": "cluster",
    "days": "day",
    "entries": "entry",
    "gateways": "gateway",
    "nodes": "node",
    "pods": "pod",
    "replicas": "replica",
    "requests": "request",
    "runs": "run",
    "shards": "shard",
    "units": "unit",
    "waves": "wave",
    "workers": "worker",
    "zones": "zone",
}
_LEADING_WORD = re.compile(r"[a-z]+")


def noun(count: float, plural: str) -> str:
    """``plural`` (a unit such as ``nodes (max)`` or ``runs/30d``) as it reads after ``count``.

    Only the leading count noun changes, and only for exactly one: ``1 node (max)``,
    ``1 run/30d``, but ``0 nodes`` and ``1.5 replicas``.
    """
    match = _LEADING_WORD.match(plural)
    if count != 1 or match is None or match.group() not in SINGULAR:
        return plural
    return SINGULAR[match.group()] + plural[match.end() :]


def count(number: float, plural: str) -> str:
    """A number with its count noun agreeing: ``1 replica``, ``3 replicas``."""
    return f"{fmt(number)} {noun(number, plural)}"


def lines(text: str | Sequence[str]) -> str:
    """Several formulas or computations of one decision, one per line.

    A decision that derives two figures (a window and its concurrency, a stated value and
    the derived one) records each on its own line, so a table cell or an ``--explain``
    block shows them apart rather than run together.
    """
    return text if isinstance(text, str) else "\n".join(text)


@dataclass
class Recorder:
    """Decisions and diagnostics of one planning run, with the spec's source map."""

    source_map: SourceMap
    decisions: list[Decision] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def loc(self, path: Path) -> str:
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
        sources: Sequence[Path],
        reason: str,
        unit: str | None = None,
    ) -> None:
        """Record one decision; sources are spec paths, cited sorted and unique.

        ``formula`` and ``computed`` may be lists: several rules or results of one decision,
        stored one per line (see :func:`lines`).
        """
        locations = sorted(set(map(self.loc, sources)))
        self.decisions.append(
            Decision(
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
        path: Path,
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
        path: Path,
        hint: str | None = None,
        fix: Sequence[Edit] = (),
    ) -> None:
        """Record a planning error: the spec asks for something the plan cannot deliver."""
        span = self.source_map.key_span(path)
        self.diagnostics.append(error(code, message, span, hint, path, fix))

    def sorted_decisions(self) -> tuple[Decision, ...]:
        """Decisions ordered by name; a duplicate name is a planner bug, so it raises."""
        names = [d.name for d in self.decisions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"decision names recorded twice: {', '.join(duplicates)}")
        return tuple(sorted(self.decisions, key=lambda d: d.name))
