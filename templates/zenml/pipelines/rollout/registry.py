"""The Model Control Plane side of a rollout: which version is the candidate, and its stages.

The candidate waits in ``staging`` while production keeps serving, with the rollout's progress
in its metadata (``rollout``: status, step, percent, reason), so the registry tells the same
story as the state file. At the end the candidate becomes ``production`` (ZenML archives the
version it replaces); a rollback sets it to ``archived`` with the reason, and production is
never touched. Every call configures ZenML for this stack first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.run import configure_environment, use_stack_source_root
from pipelines.stack_plan import stack_root

__all__ = [
    "archive",
    "gates_passed",
    "latest_candidate",
    "production_number",
    "promote",
    "record",
    "stage_of",
]


def _client() -> Any:
    root = stack_root()
    configure_environment(root)
    use_stack_source_root(root)
    from zenml.client import Client

    return Client()


def production_number(model: str) -> str | None:
    """The version number of ``model``'s production version (None: never promoted)."""
    from zenml.enums import ModelStages

    try:
        return str(_client().get_model_version(model, ModelStages.PRODUCTION).number)
    except (KeyError, RuntimeError):
        return None


def stage_of(model: str, number: str) -> str | None:
    """The stage of version ``number`` (None: no stage; KeyError: no such version)."""
    stage = _client().get_model_version(model, int(number)).stage
    return None if stage is None else str(getattr(stage, "value", stage))


def gates_passed(model: str, number: str) -> bool:
    """Whether the training run registered version ``number`` with every gate passed."""
    version = _client().get_model_version(model, int(number))
    gates = version.run_metadata.get("gates")
    return isinstance(gates, Mapping) and bool(gates) and all(bool(v) for v in gates.values())


def latest_candidate(model: str) -> str | None:
    """The newest staging version of ``model`` that passed its gates (None: there is none)."""
    from zenml.enums import ModelStages

    versions = _client().list_model_versions(
        model_name_or_id=model, stage=ModelStages.STAGING, sort_by="desc:number", size=20
    )
    for version in versions.items:
        if gates_passed(model, str(version.number)):
            return str(version.number)
    return None


def record(model: str, number: str, rollout: Mapping[str, Any], stage: str | None = None) -> None:
    """Write the rollout's progress in version ``number``'s metadata; set ``stage`` too."""
    from zenml import log_metadata

    client = _client()
    version = client.get_model_version(model, int(number))
    if stage is not None:
        client.update_model_version(
            model_name_or_id=model, version_name_or_id=version.id, stage=stage, force=True
        )
    log_metadata(metadata={"rollout": dict(rollout)}, model_version_id=version.id)


def promote(model: str, number: str, rollout: Mapping[str, Any]) -> None:
    """Make version ``number`` production (the previous production is archived)."""
    record(model, number, rollout, stage="production")


def archive(model: str, number: str, rollout: Mapping[str, Any]) -> None:
    """Archive the rolled-back version ``number``, with the reason in its metadata."""
    record(model, number, rollout, stage="archived")
