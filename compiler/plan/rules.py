"""Decision rules in the plan: their source text, canonical form and what they read.

The plan keeps each rule as the text the spec wrote, plus its canonical form from the rule
language's printer (minimal parentheses, single quotes) and the fields and ``view.feature``
names it references, so the serving path knows which feature views a request must fetch.
Rules are parsed, never evaluated as Python; the service compiles them through the same
expression module.
"""

from __future__ import annotations

from mlopsgen.expr import ExprSyntaxError, parse_expression, references, to_source
from mlopsgen.plan.ir.serving import DecisionEnginePlan, RulePlan
from mlopsgen.spec.models.serving import Decision


def rule_references(text: str) -> tuple[str, ...]:
    """Sorted field and ``view.feature`` names a rule reads (none if it does not parse).

    A loaded spec's rules have already been checked, so the empty answer only guards
    callers that plan a spec built without the loader's checks.
    """
    try:
        return tuple(sorted(references(parse_expression(text))))
    except ExprSyntaxError:
        return ()


def canonical(text: str) -> str:
    """The rule's canonical text, or the text as written when it does not parse."""
    try:
        return to_source(parse_expression(text))
    except ExprSyntaxError:
        return text


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
            canonical=canonical(rule.when),
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
