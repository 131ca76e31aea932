"""The Feast target: ``features/`` (the feature repository) and ``pipelines/feature_store.py``.

A plan with feature views gets a Feast repository: ``feature_store.yaml`` for the local
provider (SQLite online store, parquet files offline, state under ``data/``),
``feature_store.cloud.yaml`` on a cloud plan (the spec's online store, connected through the
Terraform outputs), and ``definitions.py``. Every stack gets ``pipelines/feature_store.py``,
the one module that computes feature tables and talks to Feast; it reads the views from
``plan.json`` at run time and does nothing Feast-related for a plan without views, so the
pipelines can call it unconditionally.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import render_file_with
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.dumps import yaml_dump
from mlopsgen.targets.feast.readme import readme_section
from mlopsgen.targets.feast.views import cloud_config, definitions_context, ident, local_config
from mlopsgen.targets.literals import py_literal

__all__ = ["FEAST_REQUIREMENTS", "TABLE_REQUIREMENTS", "FeastTarget"]

#: What ``pipelines/feature_store.py`` imports in every stack, and Feast where there are views.
TABLE_REQUIREMENTS = frozenset({"numpy==2.4.6", "pandas==2.3.3", "pyarrow==26.0.1"})
FEAST_REQUIREMENTS = TABLE_REQUIREMENTS | {"feast==0.67.0"}

MODULE = "pipelines/feature_store.py"
LOCAL_YAML = "features/feature_store.yaml"
CLOUD_YAML = "features/feature_store.cloud.yaml"
DEFINITIONS = "features/definitions.py"

PURPOSES = {
    MODULE: "feature tables (point-in-time window aggregates) and every Feast call the "
    "pipelines make: apply, materialise, historical and online reads, the stream push",
    LOCAL_YAML: "Feast configuration for the local provider: SQLite online store, parquet "
    "offline store, registry under data/feast/",
    CLOUD_YAML: "Feast configuration for the cloud: the planned online store, connected "
    "through environment variables filled from the Terraform outputs",
    DEFINITIONS: "Feast entities, file and push sources, feature views and one feature "
    "service per model: the one definition training and serving share",
}

_FILTERS = {"py": py_literal, "ident": ident}


def _header(plan: Plan) -> str:
    return generated_header("#", __version__, plan.system.spec_sha256)


def _module_text() -> str:
    path = resources.files("mlopsgen") / "templates" / "feast" / MODULE
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class FeastTarget:
    """The feature repository for plans with views; the feature API for every classic plan."""

    name: str = "feast"

    def render(self, plan: Plan) -> Rendered:
        """``pipelines/feature_store.py`` for every classic plan; ``features/`` when the plan
        has views. A language stack reads its chats from the source and has no features."""
        if plan.language_models:
            return Rendered({}, {})
        header = _header(plan)
        files = {MODULE: header + _module_text()}
        if not plan.features.views:
            return Rendered(files, {MODULE: PURPOSES[MODULE]}, TABLE_REQUIREMENTS)
        files[LOCAL_YAML] = header + yaml_dump(local_config(plan))
        cloud = cloud_config(plan)
        if cloud is not None:
            files[CLOUD_YAML] = header + yaml_dump(cloud)
        files[DEFINITIONS] = render_file_with(
            _FILTERS,
            DEFINITIONS,
            "feast/features/definitions.py.j2",
            header=header.rstrip("\n"),
            **definitions_context(plan),
        )
        purposes = {path: PURPOSES[path] for path in files}
        sections = {"Feature store": readme_section(plan)}
        return Rendered(files, purposes, FEAST_REQUIREMENTS, sections)
