"""``mlopsgen validate``: every check that writes nothing, the planner's included.

The spec stage proves shape and consistency; the planner then proves feasibility (an SLO a
model cannot meet, a region without enough zones, a budget overrun). Planning writes nothing
and takes milliseconds, so ``validate`` runs it too: a spec that validates cleanly plans and
builds without a new warning, and ``validate`` shows the same diagnostics ``plan`` and
``build`` show. The spec package may not import the planner, so the planner is passed in here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlopsgen.diagnostics import Diagnostic
from mlopsgen.plan import build_plan
from mlopsgen.spec.loader import LoadedSpec
from mlopsgen.spec.summary import ValidationResult, validate_one


def planning_diagnostics(loaded: LoadedSpec) -> list[Diagnostic]:
    """The planner's diagnostics for a spec that loaded (the plan itself is discarded)."""
    return build_plan(loaded).diagnostics


def validate_spec(path: Path) -> ValidationResult:
    """Validate one spec file through the spec checks and the planner's feasibility checks."""
    return validate_one(path, planning_diagnostics)


def validate_specs(paths: Iterable[Path]) -> list[ValidationResult]:
    """Validate every file; one bad file never hides the others."""
    return [validate_spec(path) for path in paths]
