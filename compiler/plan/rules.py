"""Decision rules in the plan: their source text and the fields and features they read.

The plan keeps each rule as the text the spec wrote (the service compiles it with the safe
expression language; nothing is ever evaluated as Python) plus the references it uses, so the
serving path knows which feature views a request must fetch. References come from the
expression module's parser when it is installed, and otherwise from a scanner that skips
string literals and keywords; both give the same names for a valid rule.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from types import ModuleType

from mlopsgen.plan.ir_serving import DecisionEnginePlan, RulePlan
from mlopsgen.spec.serving_models import Decision

_EXPR_MODULE = "mlopsgen.spec.expr"
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)")
_WORDS = frozenset({"and", "or", "not", "in", "true", "false", "True", "False", "None"})


def _expr_module() -> ModuleType | None:
    if importlib.util.find_spec(_EXPR_MODULE) is None:
        return None
    return importlib.import_module(_EXPR_MODULE)


def _scan(text: str) -> tuple[str, ...]:
    """References by scanning: names outside string literals that are not keywords."""
    bare = _STRING.sub(" ", text)
    return tuple(sorted({m for m in _NAME.findall(bare) if m not in _WORDS}))


def rule_references(text: str) -> tuple[str, ...]:
    """Sorted field and ``view.feature`` names a rule reads."""
    module = _expr_module()
    parse = getattr(module, "parse_expression", None)
    references = getattr(module, "references", None)
    if not callable(parse) or not callable(references):
        return _scan(text)
    failure = getattr(module, "ExprSyntaxError", ValueError)
    try:
        found = references(parse(text))
    except (failure, ValueError, TypeError):
        return _scan(text)
    names = {str(getattr(item, "name", item)) for item in found}
    return tuple(sorted(names))


def plan_decision(decision: Decision | None) -> DecisionEnginePlan | None:
    """The decision engine with sorted weights and thresholds and rules in spec order.

    Rules keep their order because the first matching rule decides the action.
    """
    if decision is None:
        return None
    rules = tuple(
        RulePlan(
            name=rule.name,
            when=rule.when,
            action=rule.action,
            description=rule.description,
            references=rule_references(rule.when),
        )
        for rule in decision.rules
    )
    return DecisionEnginePlan(
        ensemble=dict(sorted(decision.ensemble.items())),
        anomaly_model=decision.anomaly_model,
        thresholds=dict(sorted(decision.thresholds.items())),
        rules=rules,
    )
