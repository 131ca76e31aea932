"""Render a whole stack: every target's files, in memory, keyed by relative POSIX path.

Targets are functions ``(plan) -> {path: text}``; this module runs them in a fixed order and
refuses two targets claiming one path, so no file is silently written twice. The core
target here produces what every stack has whatever its models: ``README.md`` (what was
generated and why), ``plan.json``, ``pyproject.toml`` and ``Makefile``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mlopsgen import __version__
from mlopsgen.diagnostics import MlopsgenError
from mlopsgen.output.manifest import generated_header
from mlopsgen.plan import Plan
from mlopsgen.plan.report import plan_json
from mlopsgen.render.environment import render_template
from mlopsgen.targets.core.views import (
    FILE_PURPOSES,
    cost_summary,
    decision_rows,
    deploy_summary,
    diagram,
    key_figures,
    local_profile,
    requirements,
)

Target = Callable[[Plan], Mapping[str, str]]


class RenderError(MlopsgenError):
    """Two targets produced the same path: a bug in the targets, reported clearly."""

    exit_code = 2


def _header(plan: Plan, prefix: str, suffix: str = "") -> str:
    return generated_header(
        prefix, __version__, plan.system.spec_sha256, comment_suffix=suffix
    ).rstrip("\n")


def render_core(plan: Plan) -> dict[str, str]:
    """README.md, plan.json, pyproject.toml and Makefile of the stack."""
    tree = {
        "plan.json": plan_json(plan),
        "pyproject.toml": render_template(
            "core/pyproject.toml.j2",
            header=_header(plan, "#"),
            plan=plan,
            project_name=f"{plan.system.name}-stack",
            requirements=requirements(plan),
        ),
        "Makefile": render_template(
            "core/Makefile.j2",
            header=_header(plan, "#"),
            plan=plan,
            spec_file=plan.system.spec_file,
        ),
    }
    files = [
        {"path": path, "purpose": FILE_PURPOSES[path]} for path in sorted([*tree, "README.md"])
    ]
    tree["README.md"] = render_template(
        "core/README.md.j2",
        header=_header(plan, "<!--", "-->"),
        plan=plan,
        version=__version__,
        files=files,
        diagram=diagram(plan),
        figures=key_figures(plan),
        decisions=decision_rows(plan),
        local_profile=local_profile(plan),
        deploy_summary=deploy_summary(plan),
        cost_summary=cost_summary(plan),
        explain_command=f"mlopsgen plan {plan.system.spec_file} --explain NAME",
    )
    return tree


TARGETS: tuple[tuple[str, Target], ...] = (("core", render_core),)


def render_stack(plan: Plan, targets: tuple[tuple[str, Target], ...] = TARGETS) -> dict[str, str]:
    """Every file of the stack, sorted by path.

    Raises:
        RenderError: when two targets produce the same path.
    """
    tree: dict[str, str] = {}
    owner: dict[str, str] = {}
    for name, target in targets:
        for path, text in target(plan).items():
            if path in tree:
                raise RenderError(f"targets {owner[path]!r} and {name!r} both produce {path}")
            tree[path] = text
            owner[path] = name
    return dict(sorted(tree.items()))
