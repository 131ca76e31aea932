"""The generated ``services/rules.py``: the plan's decision rules as Python functions.

Each rule's condition is emitted by :func:`~mlopsgen.targets.bentoml.rules.to_python` from the
tree the plan's canonical text parses to, reading the row through the module's ``_read``
helper (which turns a missing value into "the rule does not fire"); names, actions,
descriptions and the rule text travel as literals through the ``py`` filter. Nothing of the
rule text is ever evaluated: the service imports plain functions.
"""

from __future__ import annotations

from mlopsgen import __version__
from mlopsgen.expr import Const, Expr, ExprSyntaxError, Ref
from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.ir.serving import RulePlan
from mlopsgen.render.environment import render_file_with
from mlopsgen.render.errors import RenderError
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
    """The ``py_rule`` filter: a rule's condition as one Python expression.

    ``to_python`` parenthesises every operation; the outermost pair is dropped because the
    template wraps the condition in ``bool(...)``, whose own parentheses delimit it (ruff's
    UP034 flags the doubled pair). A bare reference or constant has no pair to drop.
    """
    text = to_python(expr, row_read)
    if isinstance(expr, Ref | Const):
        return text
    return text[1:-1]


_FILTERS = {**FILTERS, "py_rule": rule_python}


def _condition(rule: RulePlan) -> Expr:
    """The rule's parsed condition.

    Raises:
        RenderError: the canonical text does not parse (a plan not made by the planner).
    """
    try:
        return rule.expr
    except ExprSyntaxError as err:
        raise RenderError(f"rule {rule.name!r} does not parse: {err}", path=RULES_PATH) from err


def rules_file(plan: Plan) -> str | None:
    """The source of ``services/rules.py``, header first, or None when the plan has no rules.

    Raises:
        RenderError: a rule's canonical text does not parse (a plan not made by the planner),
            or the template cannot be rendered.
    """
    decision = plan.serving.decision
    if decision is None or not decision.rules:
        return None
    rules = [(rule, _condition(rule)) for rule in decision.rules]
    text = render_file_with(
        _FILTERS,
        RULES_PATH,
        RULES_TEMPLATE,
        rules=rules,
    )
    return generated_header("#", __version__, plan.system.spec_sha256) + text
