"""What the Feast repository holds, read off the Plan: data for the YAML, rows for templates.

Feast objects get Python variable names made of the plan's snake_case names and a suffix per
kind (``_entity``, ``_source``, ``_push``, ``_view``, ``_service``), so two objects of
different kinds never share a variable and a name that is a Python keyword (``class``) still
makes a valid one. Everything a user wrote reaches ``definitions.py`` only as a Python literal.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from mlopsgen.plan.ir.data import EntityPlan, ModelPlan, ViewPlan
from mlopsgen.plan.ir.root import Plan

__all__ = [
    "CLOUD_ENVIRONMENT",
    "FEAST_TYPES",
    "cloud_config",
    "definitions_context",
    "ident",
    "local_config",
]

#: Feast value types of feature columns, by the schema's type names; anything else is a string.
FEAST_TYPES = {
    "integer": "Int64",
    "float": "Float64",
    "bool": "Bool",
    "timestamp": "UnixTimestamp",
}
_KEY_TYPES = {"integer": "INT64", "float": "DOUBLE", "bool": "BOOL"}

#: The environment variables the cloud configuration reads, with the Terraform output that
#: fills each (``terraform -chdir=infra output -raw <output>``) or how to set it.
CLOUD_ENVIRONMENT = {
    "FEAST_ONLINE_STORE_ENDPOINT": "online_store_endpoint",
    "FEAST_REGION": "region",
    "FEAST_ARTIFACT_BUCKET": "artifact_bucket",
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REPO_TO_ROOT = ".."


def ident(name: object) -> str:
    """``name`` as a Python identifier, refused if it is not one (a filter for templates).

    Raises:
        ValueError: ``name`` is not an identifier or is a keyword.
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a Python identifier")
    return name


def _project(plan: Plan) -> str:
    return plan.system.python_name


def local_config(plan: Plan) -> dict[str, Any]:
    """``feature_store.yaml``: local provider, SQLite online store, parquet files offline."""
    return {
        "project": _project(plan),
        "provider": "local",
        "registry": f"{_REPO_TO_ROOT}/data/feast/registry.db",
        "online_store": {"type": "sqlite", "path": f"{_REPO_TO_ROOT}/data/feast/online_store.db"},
        "offline_store": {"type": "file"},
        "entity_key_serialization_version": 3,
    }


def cloud_config(plan: Plan) -> dict[str, Any] | None:
    """``feature_store.cloud.yaml`` for a cloud plan: the spec's online store, from Terraform.

    Connection details are ``${VARIABLE}`` references that Feast expands from the environment
    when it reads the file (:data:`CLOUD_ENVIRONMENT` says where each comes from); no address
    or secret is written into the file. The registry lives in the artifact bucket. None for
    a local plan.
    """
    cloud = plan.infrastructure.cloud
    if cloud == "local":
        return None
    scheme = "s3" if cloud == "aws" else "gs"
    return {
        "project": _project(plan),
        "provider": "aws" if cloud == "aws" else "gcp",
        "registry": f"{scheme}://${{FEAST_ARTIFACT_BUCKET}}/feast/registry.db",
        "online_store": _online_store(plan),
        "offline_store": {"type": "file"},
        "entity_key_serialization_version": 3,
    }


def _online_store(plan: Plan) -> dict[str, Any]:
    store = plan.features.online_store
    if store.kind == "redis":
        cluster = "redis_cluster" if store.shards > 1 else "redis"
        return {
            "type": "redis",
            "redis_type": cluster,
            "connection_string": "${FEAST_ONLINE_STORE_ENDPOINT}",
        }
    if store.kind == "dynamodb":
        return {"type": "dynamodb", "region": "${FEAST_REGION}"}
    if store.kind == "bigtable":
        return {"type": "bigtable", "instance": "${FEAST_ONLINE_STORE_ENDPOINT}"}
    return {"type": "sqlite", "path": f"{_REPO_TO_ROOT}/data/feast/online_store.db"}


def definitions_context(plan: Plan) -> dict[str, Any]:
    """Rows for ``definitions.py``: entities, one source (+ push source) and view per view,
    one service per model that takes view features."""
    entities = {entity.name: entity for entity in plan.features.entities}
    return {
        "entities": [_entity(entity) for entity in plan.features.entities],
        "views": [_view(view, entities[view.entity]) for view in plan.features.views],
        "services": [row for model in plan.models if (row := _service(model)) is not None],
    }


def _entity(entity: EntityPlan) -> dict[str, Any]:
    return {
        "var": f"{entity.name}_entity",
        "name": entity.name,
        "key": entity.key,
        "value_type": _KEY_TYPES.get(entity.key_type, "STRING"),
        "description": entity.description or "",
    }


def _view(view: ViewPlan, entity: EntityPlan) -> dict[str, Any]:
    stream = view.compute == "stream"
    source_var = f"{view.name}_source"
    push_var = f"{view.name}_push" if stream else ""
    key_type = FEAST_TYPES.get(entity.key_type, "String")
    return {
        "var": f"{view.name}_view",
        "name": view.name,
        "entity_var": f"{entity.name}_entity",
        "source_var": source_var,
        "source_name": f"{view.name}_source",
        "push_var": push_var,
        "push_name": f"{view.name}_push",
        "stream_source_var": push_var or source_var,
        "path": f"{_REPO_TO_ROOT}/data/features/{view.name}.parquet",
        "ttl_seconds": view.ttl_seconds,
        "online": view.online,
        "fields": [
            {"name": entity.key, "dtype": key_type},
            *({"name": f.name, "dtype": FEAST_TYPES.get(f.dtype, "String")} for f in view.features),
        ],
    }


def _service(model: ModelPlan) -> dict[str, Any] | None:
    parts: dict[str, list[str]] = {}
    for item in model.inputs:
        if item.kind == "feature" and item.view is not None and item.feature is not None:
            parts.setdefault(item.view, []).append(item.feature)
    if not parts:
        return None
    return {
        "var": f"{model.name}_service",
        "name": model.name,
        "parts": [{"view_var": f"{view}_view", "features": names} for view, names in parts.items()],
    }
