"""The generated ``services/rules.py``: the plan's decision rules as Python functions.

Each rule's condition is emitted by :func:`~mlopsgen.targets.bentoml.rules.to_python` from the
tree the plan's canonical text parses to, reading the row through the module's ``_read``
helper (which turns a missing value into "the rule does not fire"); names, actions,
descriptions and the rule text travel as literals through the ``py`` filter. Nothing of the
rule text is ever evaluated: the service imports plain functions.
"""

from __future__ import annotations

from mlopsgen import __version__
from mlopsgen.expr import Compare, Const, Expr, walk
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import render_file_with
from mlopsgen.render.header import generated_header
from mlopsgen.targets.bentoml.rules import to_python
from mlopsgen.targets.literals import FILTERS

__all__ = ["RULES_PATH", "RULES_TEMPLATE", "row_read", "rule_python", "rules_file"]

RULES_PATH = "services/rules.py"
RULES_TEMPLATE = "bentoml/services/rules.py.j2"


def row_read(name: str) -> str:
    """Python source reading reference ``name`` from the rule's ``row`` argument."""
    return f"_read(row, {name!r})"


def rule_python(expr: Expr) -> str:
    """The ``py_rule`` filter: a rule's condition as a parenthesised Python expression."""
    return to_python(expr, row_read)


_FILTERS = {**FILTERS, "py_rule": rule_python}


def _compares_with_bool(expr: Expr) -> bool:
    """Whether a comparison has a ``true``/``false`` literal operand (ruff's E712)."""
    return any(
        isinstance(node, Compare)
        and any(
            isinstance(side, Const) and isinstance(side.value, bool)
            for side in (node.left, node.right)
        )
        for node, _ in walk(expr)
    )


def rules_file(plan: Plan) -> str | None:
    """The source of ``services/rules.py``, header first, or None when the plan has no rules.

    Raises:
        RenderError: the template cannot be rendered (a rule that does not parse, say).
    """
    decision = plan.serving.decision
    if decision is None or not decision.rules:
        return None
    text = render_file_with(
        _FILTERS,
        RULES_PATH,
        RULES_TEMPLATE,
        rules=decision.rules,
        bool_comparisons=any(_compares_with_bool(rule.expr) for rule in decision.rules),
    )
    return generated_header("#", __version__, plan.system.spec_sha256) + text
