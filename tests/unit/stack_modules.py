"""Static stack modules loaded from the templates, for the unit tests of their pure parts.

``templates/bentoml/services/*.py`` (and a language stack's ``templates/bentoml-llm/services/``)
are copied into stacks as they are; their standard-library parts (argument checks, formulas,
reports) are tested here in process under a private module name, while what needs the stack's
own packages runs in the functional tier.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.conftest import REPO

SERVICES = REPO / "templates" / "bentoml" / "services"
LLM_SERVICES = REPO / "templates" / "bentoml-llm" / "services"
#: The classic reference stacks' plans (a language stack's services are of another kind).
REFERENCE_PLANS = sorted(
    path
    for path in (REPO / "generated").glob("*/plan.json")
    if not any(model.get("llm") for model in json.loads(path.read_text("utf-8"))["models"])
)


def load_service_module(name: str, *, language: bool = False) -> ModuleType:
    """``services/<name>.py`` of the templates, imported as ``stack_services_<name>``
    (``stack_llm_services_<name>`` from a language stack's templates with ``language``)."""
    module_name = f"stack_{'llm_' if language else ''}services_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    folder = LLM_SERVICES if language else SERVICES
    spec = importlib.util.spec_from_file_location(module_name, folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def read_plan(path: Path) -> dict[str, Any]:
    """A reference stack's ``plan.json``."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
