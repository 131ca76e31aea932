"""Presenting a plan: a table of decisions, one decision's derivation, deterministic JSON.

These return values and never print: the CLI decides where output goes. ``rich`` is imported
inside :func:`plan_table` so importing the planner stays fast for commands that never draw.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from mlopsgen.plan.ir.base import Value
from mlopsgen.plan.ir.root import DecisionRecord, Plan
from mlopsgen.plan.record import fmt

if TYPE_CHECKING:
    from rich.table import Table


def format_value(value: Value, unit: str | None = None) -> str:
    """A decision's value as people read it: numbers via :func:`fmt`, lists comma-joined."""
    if isinstance(value, tuple):
        text = ", ".join(format_value(v) for v in value)
    elif isinstance(value, bool) or value is None:
        text = "none" if value is None else str(value).lower()
    elif isinstance(value, int | float):
        text = fmt(value)
    else:
        text = value
    return f"{text} {unit}" if unit else text


Locate = Callable[[str], str]


def _cite(path: str, locate: Locate | None) -> str:
    return path if locate is None else f"{locate(path)} {path}"


def _locations(decision: DecisionRecord, locate: Locate | None) -> list[str]:
    """The decision's sources as ``file:line`` (unique, in file order), or as dotted paths."""
    if locate is None:
        return list(decision.sources)

    def line_order(location: str) -> tuple[str, int]:
        file, _, line = location.rpartition(":")
        return (file, int(line) if line.isdigit() else 0)

    return sorted({locate(source) for source in decision.sources}, key=line_order)


def plan_table(plan: Plan, locate: Locate | None = None) -> Table:
    """Every decision with its value, the formula with numbers filled in, and its source.

    Args:
        plan: the plan to show.
        locate: turns a dotted spec path into ``file:line`` (the loaded spec's source map);
            without it the table cites the dotted paths alone.
    """
    from rich.table import Table

    table = Table(title=f"{plan.system.name}: plan v{plan.plan_version}", show_lines=False)
    table.add_column("decision", overflow="fold", min_width=16)
    table.add_column("value", overflow="fold", min_width=8)
    table.add_column("formula, numbers filled in", overflow="fold", min_width=20)
    table.add_column("source", overflow="fold", min_width=12)
    for decision in plan.decisions:
        table.add_row(
            decision.name,
            format_value(decision.value, decision.unit),
            decision.computed,
            "\n".join(_locations(decision, locate)),
        )
    return table


def _derivation(decision: DecisionRecord, locate: Locate | None) -> str:
    inputs = ", ".join(f"{k} = {format_value(v)}" for k, v in decision.inputs.items())
    lines = [
        f"{decision.name} = {format_value(decision.value, decision.unit)}",
        f"  formula:  {decision.formula}",
        f"  computed: {decision.computed}",
        f"  inputs:   {inputs or 'none'}",
        f"  sources:  {', '.join(_cite(s, locate) for s in decision.sources) or 'none'}",
        f"  reason:   {decision.reason}",
    ]
    return "\n".join(lines)


def explain(plan: Plan, name: str, locate: Locate | None = None) -> str:
    """The full derivation of one decision, or of every decision under a dotted prefix.

    Raises:
        KeyError: no decision has that name or prefix; the message suggests close names.
    """
    exact = [d for d in plan.decisions if d.name == name]
    chosen = exact or [d for d in plan.decisions if d.name.startswith(f"{name}.")]
    if not chosen:
        close = difflib.get_close_matches(name, [d.name for d in plan.decisions], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no decision named {name!r}{hint}")
    return "\n\n".join(_derivation(d, locate) for d in chosen) + "\n"


def plan_json(plan: Plan) -> str:
    """The plan as JSON: sorted keys, two-space indent, UTF-8 text, trailing newline."""
    data = plan.to_data()
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
