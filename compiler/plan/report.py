"""Presenting a plan: a table of decisions, one decision's derivation, deterministic JSON.

These return values and never print: the CLI decides where output goes. ``rich`` is imported
inside :func:`plan_table` so importing the planner stays fast for commands that never draw.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from mlopsgen.plan.ir.base import Value
from mlopsgen.plan.ir.root import DecisionRecord, Plan
from mlopsgen.plan.layout import (
    TABLE_BORDER_PER_COLUMN,
    column_widths,
    labelled,
    longest_line,
    wrap,
)
from mlopsgen.plan.lookup import select_decisions
from mlopsgen.plan.record import fmt, noun

if TYPE_CHECKING:
    from rich.table import Table


def format_value(value: Value, unit: str | None = None) -> str:
    """A decision's value as people read it: numbers via :func:`fmt`, lists comma-joined.

    A count noun in the unit agrees with the number (``1 node (max)``, ``4 nodes (max)``).
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and unit:
        return f"{fmt(value)} {noun(value, unit)}"
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


TABLE_HEADERS = ("decision", "value", "formula, numbers filled in", "source")


def _rows(plan: Plan, locate: Locate | None) -> list[tuple[str, str, str, str]]:
    return [
        (
            decision.name,
            format_value(decision.value, decision.unit),
            decision.computed,
            "\n".join(_locations(decision, locate)),
        )
        for decision in plan.decisions
    ]


def table_widths(plan: Plan, locate: Locate | None, width: int) -> list[int] | None:
    """Column widths that fit the table into ``width`` cells, or None when it cannot fit.

    A table fits when every column can hold its longest word (decision name, number,
    ``file:line``) whole; see :mod:`mlopsgen.plan.layout`.
    """
    columns = list(zip(TABLE_HEADERS, *_rows(plan, locate), strict=True))
    overhead = TABLE_BORDER_PER_COLUMN * len(TABLE_HEADERS) + 1
    return column_widths(columns, width - overhead)


def plan_table(plan: Plan, locate: Locate | None = None, width: int | None = None) -> Table:
    """Every decision with its value, the formula with numbers filled in, and its source.

    Cells are wrapped here, between words only, so the terminal never splits a number, a
    ``file:line`` or a decision name; rich only draws the borders.

    Args:
        plan: the plan to show.
        locate: turns a dotted spec path into ``file:line`` (the loaded spec's source map);
            without it the table cites the dotted paths alone.
        width: the terminal width to fit; None draws every cell unwrapped.

    Raises:
        ValueError: ``width`` is too narrow for a table (use :func:`plan_stacked`).
    """
    from rich.table import Table

    rows = _rows(plan, locate)
    if width is None:
        columns = list(zip(TABLE_HEADERS, *rows, strict=True))
        widths = [max(longest_line(cell) for cell in column) for column in columns]
    else:
        found = table_widths(plan, locate, width)
        if found is None:
            raise ValueError(f"a plan table does not fit in {width} columns")
        widths = found
    table = Table(title=f"{plan.system.name}: plan v{plan.plan_version}", show_lines=False)
    for header, column_width in zip(TABLE_HEADERS, widths, strict=True):
        table.add_column(
            "\n".join(wrap(header, column_width)),
            width=column_width,
            no_wrap=True,
            overflow="ignore",
        )
    for row in rows:
        table.add_row(*("\n".join(wrap(cell, w)) for cell, w in zip(row, widths, strict=True)))
    return table


_LABEL_WIDTH = len("  computed: ")


def _field(label: str, text: str, width: int | None) -> list[str]:
    return labelled(f"  {label}:", text, width or sys.maxsize, _LABEL_WIDTH)


def _stacked_block(decision: DecisionRecord, locate: Locate | None, width: int) -> str:
    lines = [
        *wrap(decision.name, width),
        *_field("value", format_value(decision.value, decision.unit), width),
        *_field("formula", decision.formula, width),
        *_field("computed", decision.computed, width),
        *_field("source", ", ".join(_locations(decision, locate)) or "none", width),
        *_field("reason", decision.reason, width),
    ]
    return "\n".join(lines)


def plan_stacked(plan: Plan, locate: Locate | None, width: int) -> str:
    """The plan as one block per decision, for terminals too narrow for the table.

    Each field sits on its own line, wrapped between words only, so nothing the reader
    copies (a number, a ``file:line``, a decision name) is split.
    """
    title = f"{plan.system.name}: plan v{plan.plan_version}"
    blocks = [_stacked_block(d, locate, width) for d in plan.decisions]
    return "\n\n".join(["\n".join(wrap(title, width)), *blocks]) + "\n"


def plan_report(plan: Plan, locate: Locate | None, width: int) -> Table | str:
    """The table when it fits ``width`` with nothing split, else the stacked text."""
    if table_widths(plan, locate, width) is None:
        return plan_stacked(plan, locate, width)
    return plan_table(plan, locate, width)


def _derivation(decision: DecisionRecord, locate: Locate | None, width: int | None) -> str:
    inputs = ", ".join(f"{k} = {format_value(v)}" for k, v in decision.inputs.items())
    head = f"{decision.name} = {format_value(decision.value, decision.unit)}"
    lines = [
        *wrap(head, width or sys.maxsize),
        *_field("formula", decision.formula, width),
        *_field("computed", decision.computed, width),
        *_field("inputs", inputs or "none", width),
        *_field("sources", ", ".join(_cite(s, locate) for s in decision.sources) or "none", width),
        *_field("reason", decision.reason, width),
    ]
    return "\n".join(lines)


def explain(plan: Plan, name: str, locate: Locate | None = None, width: int | None = None) -> str:
    """The full derivation of one decision, or of every decision under a dotted prefix.

    Args:
        plan: the plan to explain.
        name: a decision name or a dotted prefix of several.
        locate: turns a dotted spec path into ``file:line``.
        width: wrap to this many terminal cells, between words only; None does not wrap.

    Raises:
        KeyError: no decision has that name or prefix; the message suggests close names.
    """
    chosen = select_decisions(plan, name)
    return "\n\n".join(_derivation(d, locate, width) for d in chosen) + "\n"


def plan_json(plan: Plan) -> str:
    """The plan as JSON: sorted keys, two-space indent, UTF-8 text, trailing newline."""
    data = plan.to_data()
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
