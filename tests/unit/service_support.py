"""Shared helpers for the tests of the services' request-path modules.

This module holds no tests. The modules live in ``templates/bentoml/services/`` as plain
files copied into every stack; a test loads them as a package of its own name (so several
copies, with and without a generated ``rules.py``, never clash in ``sys.modules``), from the
templates folder or from a folder the test wrote. Plans come from ``generated/*/plan.json``
(what a built stack reads) or are built in process from the reference specs.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

from mlopsgen.plan import Plan
from mlopsgen.plan.ir.serving import RulePlan
from mlopsgen.plan.report import plan_json
from mlopsgen.render.formatting import format_python
from mlopsgen.targets.bentoml.rules_module import RULES_PATH, rules_file
from tests.conftest import REPO

SERVICES = REPO / "templates" / "bentoml" / "services"
MODULES = ("decision", "experiments", "cache", "routing")
_COUNTER = itertools.count()


def generated_serving(stem: str) -> dict[str, Any]:
    """The ``serving`` section of a reference stack's committed ``plan.json``."""
    data = json.loads((REPO / "generated" / stem / "plan.json").read_text(encoding="utf-8"))
    serving: dict[str, Any] = data["serving"]
    return serving


def serving_of(plan: Plan) -> dict[str, Any]:
    """The ``serving`` section as ``plan.json`` holds it for an in-process plan."""
    serving: dict[str, Any] = json.loads(plan_json(plan))["serving"]
    return serving


def package(folder: Path) -> str:
    """Register ``folder`` as a fresh package and return its (unique) name."""
    name = f"services_under_test_{next(_COUNTER)}"
    module = types.ModuleType(name)
    module.__path__ = [str(folder)]
    sys.modules[name] = module
    return name


def template_module(name: str) -> Any:
    """One of the template modules (``decision``, ``cache``, ...), as copied into a stack."""
    return importlib.import_module(f"{_templates_package()}.{name}")


_TEMPLATES: list[str] = []


def _templates_package() -> str:
    if not _TEMPLATES:
        _TEMPLATES.append(package(SERVICES))
    return _TEMPLATES[0]


def rules_source(plan: Plan) -> str:
    """The plan's ``services/rules.py`` as the build writes it (fixed and formatted by ruff)."""
    source = rules_file(plan)
    assert source is not None, "the plan has no rules"
    return format_python(source, RULES_PATH)


def with_rules(plan: Plan, rules: list[RulePlan]) -> Plan:
    """The plan with its decision rules replaced (the plan must have a decision)."""
    decision = plan.serving.decision
    assert decision is not None
    serving = dataclasses.replace(
        plan.serving, decision=dataclasses.replace(decision, rules=tuple(rules))
    )
    return dataclasses.replace(plan, serving=serving)


def stack_services(folder: Path, plan: Plan, *, formatted: bool = True) -> str:
    """Write the services modules and the plan's generated ``rules.py`` into ``folder``;
    return the package name they import under."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODULES:
        shutil.copy(SERVICES / f"{name}.py", folder / f"{name}.py")
    source = rules_source(plan) if formatted else rules_file(plan)
    if source is not None:
        (folder / "rules.py").write_text(source, encoding="utf-8")
    return package(folder)


def exec_rules(source: str) -> Any:
    """Run a generated rules module's source as a fresh module and return it."""
    name = f"rules_under_test_{next(_COUNTER)}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(source, RULES_PATH, "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module
