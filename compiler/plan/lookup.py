"""Finding decisions by name: what ``mlopsgen plan --explain`` and ``--list-decisions`` show.

A user who asks for one decision needs the exact name the planner gave it, so the names are
listable (with their values, to recognise the one meant), a dotted prefix selects every
decision below it, and an unknown name suggests close ones. The selection is also available
as JSON, so ``--json`` means the same thing with and without ``--explain``.
"""

from __future__ import annotations

import difflib
import json

from mlopsgen.plan.ir.root import DecisionRecord, Plan


def select_decisions(plan: Plan, name: str) -> list[DecisionRecord]:
    """The decision called ``name``, or every decision under the dotted prefix ``name``.

    Raises:
        KeyError: no decision has that name or prefix; the message suggests close names.
    """
    exact = [d for d in plan.decisions if d.name == name]
    chosen = exact or [d for d in plan.decisions if d.name.startswith(f"{name}.")]
    if not chosen:
        close = difflib.get_close_matches(name, [d.name for d in plan.decisions], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no decision named {name!r}{hint}")
    return chosen


def decision_list(plan: Plan) -> str:
    """Every decision name with its value, one per line, names aligned, in plan order."""
    from mlopsgen.plan.report import format_value  # report selects through this module

    width = max((len(d.name) for d in plan.decisions), default=0)
    lines = [f"{d.name:<{width}}  {format_value(d.value, d.unit)}".rstrip() for d in plan.decisions]
    return "".join(f"{line}\n" for line in lines)


def decision_names_json(plan: Plan) -> str:
    """The decision names as a JSON list, in plan order, with a trailing newline."""
    return json.dumps([d.name for d in plan.decisions], indent=2, ensure_ascii=False) + "\n"


def decisions_json(decisions: list[DecisionRecord]) -> str:
    """Decisions as a JSON list of the same objects ``plan.json`` holds under ``decisions``."""
    data = [d.to_data() for d in decisions]
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
