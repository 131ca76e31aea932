"""The BentoML target: the stack's ``services/`` package.

The runtime modules are static Python copied from ``templates/bentoml/services/`` (they read
``plan.json`` at run time: request fields, replica sizing, batching, decision settings); the
folder ``services/__service__/`` is rendered once as ``services/<pkg>/``, ``<pkg>`` the
plan's service name as a Python identifier: its ``service.py`` (the BentoML class) and
``schemas.py`` (the request model) are templates, its ``bentofile.yaml`` is dumped from data.
A Python file's purpose is the first line of its docstring. A language stack gets the
OpenAI-compatible service of :mod:`mlopsgen.targets.bentoml.language` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import PackageLoader, render_file_with
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.bentoml.language import render_language_service
from mlopsgen.targets.bentoml.rules_module import RULES_PATH, rules_file
from mlopsgen.targets.bentoml.views import (
    FILTERS,
    README_HEADING,
    REQUIREMENTS,
    bentofile,
    readme_section,
    schema_fields,
    service_names,
)
from mlopsgen.targets.dumps import yaml_dump
from mlopsgen.targets.zenml.target import _walk, purpose_of

__all__ = ["SERVICE_DIR", "BentoMLTarget", "static_files"]

TEMPLATE_DIR = "bentoml"
#: The template folder rendered once per service, as ``services/<pkg>/``.
SERVICE_DIR = "services/__service__/"


def static_files() -> dict[str, str]:
    """Every file under ``templates/bentoml/`` as is, keyed by its template path."""
    return dict(sorted(_walk(PackageLoader().root / TEMPLATE_DIR, "").items()))


def _rules_files(plan: Plan) -> dict[str, str]:
    """``services/rules.py`` (header included) when the plan has decision rules, else nothing."""
    source = rules_file(plan)
    return {} if source is None else {RULES_PATH: source}


@dataclass(frozen=True)
class BentoMLTarget:
    """The ``services/`` package: runtime modules, the service class, schema and bentofile."""

    name: str = "bentoml"

    def render(self, plan: Plan) -> Rendered:
        """Static modules, the rendered service package and its bentofile (a language stack's
        OpenAI-compatible service when the plan has language models)."""
        if plan.language_models:
            return render_language_service(plan)
        names = service_names(plan)
        package = f"services/{names.package}/"
        files: dict[str, str] = {}
        for path, text in static_files().items():
            files[path.replace(SERVICE_DIR, package, 1)] = text
        context = {
            "package": names.package,
            "class_name": names.class_name,
            "fields": schema_fields(plan),
            "batch": plan.serving.batch is not None,
        }
        for stem in ("service", "schemas"):
            path = f"{package}{stem}.py"
            files[path] = render_file_with(
                FILTERS, path, f"{TEMPLATE_DIR}/{SERVICE_DIR}{stem}.py.j2", **context
            )
        purposes = {path: purpose_of(path, text) for path, text in files.items()}
        bentofile_path = f"{package}bentofile.yaml"
        files[bentofile_path] = yaml_dump(bentofile(plan))
        purposes[bentofile_path] = (
            "what `bentoml build` packs: the service, pipelines, plan, feature repo and models"
        )
        header = generated_header("#", __version__, plan.system.spec_sha256)
        files = {path: header + text for path, text in files.items()}
        for path, text in _rules_files(plan).items():
            files[path] = text
            purposes[path] = purpose_of(path, text)
        return Rendered(
            files=dict(sorted(files.items())),
            purposes=purposes,
            requirements=REQUIREMENTS,
            sections={README_HEADING: readme_section(plan)},
        )
