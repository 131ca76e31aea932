"""The planner: a validated spec in, a frozen, versioned, explained Plan out.

``build_plan(loaded)`` returns a :class:`PlanResult` holding the :class:`Plan` and the
planning diagnostics; :mod:`mlopsgen.plan.report` prints it as a table, explains one decision
or dumps deterministic JSON. Renderers read only the Plan.
"""

from mlopsgen.plan.builder import PlanResult, build_plan
from mlopsgen.plan.ir.root import PLAN_VERSION, DecisionRecord, Plan
from mlopsgen.plan.report import explain, plan_json, plan_table

__all__ = [
    "PLAN_VERSION",
    "DecisionRecord",
    "Plan",
    "PlanResult",
    "build_plan",
    "explain",
    "plan_json",
    "plan_table",
]
