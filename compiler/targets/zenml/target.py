"""The ZenML target: the stack's ``pipelines/`` package.

Most of the package is static Python copied from ``templates/zenml/pipelines/`` (it reads
``plan.json`` at run time, so no spec text is templated into it); each trainable model gets
a training module rendered from ``pipelines/training/__model__.py.j2``. Every file of
``pipelines/families/`` is copied, so a family added there reaches every stack; a model whose
task has no family module is a render error naming the task. A Python file's purpose is the
first line of its docstring.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import PackageLoader, render_file_with
from mlopsgen.render.errors import RenderError
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.literals import FILTERS
from mlopsgen.targets.zenml.drift_readme import DRIFT_HEADING, drift_section
from mlopsgen.targets.zenml.experiments_readme import EXPERIMENTS_HEADING, experiments_section
from mlopsgen.targets.zenml.rollout_readme import ROLLOUT_HEADING, rollout_section
from mlopsgen.targets.zenml.views import (
    README_HEADING,
    batch_modules,
    model_modules,
    readme_section,
    requirements,
)

__all__ = ["EXPERIMENTS_DIR", "MODEL_TEMPLATE", "ZenMLTarget", "static_files"]

TEMPLATE_DIR = "zenml"
MODEL_TEMPLATE = "zenml/pipelines/training/__model__.py.j2"
BATCH_TEMPLATE = "zenml/pipelines/batch/__model__.py.j2"
#: The experiment read-out, emitted only for plans with experiments.
EXPERIMENTS_DIR = "pipelines/experiments/"
PURPOSES = {
    "pipelines/configs/local.yaml": "the ZenML run configuration for the local default stack",
}


def _walk(node: Traversable, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                found.update(_walk(child, name + "/"))
        elif not child.name.endswith((".j2", ".pyc")):
            found[name] = child.read_text(encoding="utf-8")
    return found


def static_files() -> dict[str, str]:
    """Every file under ``templates/zenml/`` copied as is, keyed by its stack path."""
    return dict(sorted(_walk(PackageLoader().root / TEMPLATE_DIR, "").items()))


def purpose_of(path: str, text: str) -> str:
    """The first line of a Python module's docstring, or the listed purpose of another file.

    Raises:
        RenderError: the file has neither.
    """
    if path in PURPOSES:
        return PURPOSES[path]
    if path.endswith(".py"):
        docstring = ast.get_docstring(ast.parse(text, filename=path))
        if docstring:
            return docstring.strip().splitlines()[0].rstrip(".")
    raise RenderError("the file has no purpose (a module docstring or an entry)", path=path)


@dataclass(frozen=True)
class ZenMLTarget:
    """The ``pipelines/`` package: steps, families, training modules, entry point, configs."""

    name: str = "zenml"

    def render(self, plan: Plan) -> Rendered:
        """Static package files plus one training module per trainable model; a language
        stack's own package (:mod:`.language`) when the plan's models are language models."""
        if plan.language_models:
            # Imported here: the language package reuses this module's file helpers.
            from mlopsgen.targets.zenml.language import render_language_pipelines

            return render_language_pipelines(plan)
        files = static_files()
        families = sorted(
            path.removeprefix("pipelines/families/").removesuffix(".py")
            for path in files
            if path.startswith("pipelines/families/")
            and path.endswith(".py")
            and not path.endswith("__init__.py")
        )
        modules = model_modules(plan, families)
        batch = batch_modules(plan)
        if not batch:
            files = {p: t for p, t in files.items() if not p.startswith("pipelines/batch/")}
        if not plan.serving.experiments:
            files = {p: t for p, t in files.items() if not p.startswith(EXPERIMENTS_DIR)}
        for module in [*modules, *batch]:
            template = BATCH_TEMPLATE if module.pipeline.startswith("batch_") else MODEL_TEMPLATE
            files[module.path] = render_file_with(
                FILTERS,
                module.path,
                template,
                model_name=module.model,
                pipeline_name=module.pipeline,
                optimize=module.optimize,
            )
        purposes = {path: purpose_of(path, text) for path, text in files.items()}
        header = generated_header("#", __version__, plan.system.spec_sha256)
        files = {path: header + text for path, text in files.items()}
        for module in modules:
            purposes[module.path] = f"training pipeline {module.pipeline} of model {module.model}"
        for module in batch:
            purposes[module.path] = f"batch scoring pipeline {module.pipeline} of {module.model}"
        sections = {
            README_HEADING: readme_section(plan, [*modules, *batch]),
            DRIFT_HEADING: drift_section(plan),
        }
        if plan.serving.experiments:
            sections[EXPERIMENTS_HEADING] = experiments_section(plan)
        rollout = rollout_section(plan)
        if rollout is not None:
            sections[ROLLOUT_HEADING] = rollout
        return Rendered(
            files=dict(sorted(files.items())),
            purposes=purposes,
            requirements=requirements(plan),
            sections=sections,
        )
