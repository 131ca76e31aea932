"""Build a stack's cluster run configurations through ZenML's own classes (stack interpreter).

Run as ``python cluster_check.py CONFIG...`` with the stack's interpreter (it imports ZenML
and the Kubernetes client, which the compiler's tests never import). For every run
configuration it validates the whole file as a ``PipelineRunConfiguration``, the settings
keys, each settings dict as ``DockerSettings`` or ``KubernetesOrchestratorSettings`` and the
schedule as ``Schedule``; a key the classes do not declare (kept as an "extra" and then
ignored by the orchestrator) or a value they change is a problem. It then builds, with ZenML's
own manifest builders, the pod each step runs as and the CronJob the schedule becomes, and
prints one JSON line: ``{"problems": [...], "manifests": {"<file>:<what>": manifest}}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import ApiClient
from pydantic import BaseModel
from zenml.config.docker_settings import DockerSettings
from zenml.config.pipeline_run_configuration import PipelineRunConfiguration
from zenml.config.schedule import Schedule
from zenml.integrations.kubernetes.flavors.kubernetes_orchestrator_flavor import (
    KubernetesOrchestratorSettings,
)
from zenml.integrations.kubernetes.manifest_utils import (
    build_cron_job_manifest,
    build_job_manifest,
    build_pod_manifest,
    job_template_manifest_from_job,
    pod_template_manifest_from_pod,
)
from zenml.utils.settings_utils import validate_setting_keys

SETTINGS: dict[str, type[BaseModel]] = {
    "docker": DockerSettings,
    "orchestrator.kubernetes": KubernetesOrchestratorSettings,
}
IMAGE = "registry.example.com/stack/zenml:check"


def extras(model: BaseModel, where: str) -> list[str]:
    """Keys a settings class accepted without declaring them, anywhere in ``model``."""
    found = [f"{where}.{key}: unknown key" for key in sorted(model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found += extras(value, f"{where}.{name}")
    return found


def dropped(given: Any, kept: Any, where: str) -> list[str]:
    """Where ``kept`` (the class's ``model_dump(exclude_unset=True)``) lost or changed input."""
    if isinstance(given, dict):
        if not isinstance(kept, dict):
            return [f"{where}: became {kept!r}"]
        problems = []
        for key, value in given.items():
            if key not in kept:
                problems.append(f"{where}.{key}: dropped")
            else:
                problems += dropped(value, kept[key], f"{where}.{key}")
        return problems
    return [] if given == kept else [f"{where}: {given!r} became {kept!r}"]


def build(kind: str, data: dict[str, Any], where: str, problems: list[str]) -> Any:
    """One settings dict through its ZenML class; the instance, with any problems noted."""
    model = SETTINGS[kind].model_validate(data)
    problems += extras(model, where)
    problems += dropped(data, model.model_dump(exclude_unset=True), where)
    return model


def serialize(manifest: Any) -> Any:
    """A Kubernetes client object as the JSON the API server receives."""
    return ApiClient().sanitize_for_serialization(manifest)


def check(path: Path, problems: list[str], manifests: dict[str, Any]) -> None:
    """Validate one run configuration and build the manifests it implies."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    PipelineRunConfiguration.model_validate(data)
    name = path.name
    settings = data.get("settings", {})
    validate_setting_keys(list(settings))
    built = {
        kind: build(kind, value, f"{name}:settings.{kind}", problems)
        for kind, value in settings.items()
    }
    orchestrator = built["orchestrator.kubernetes"]
    schedule = Schedule.model_validate(data["schedule"])
    problems += dropped(
        data["schedule"], schedule.model_dump(exclude_unset=True), f"{name}:schedule"
    )
    pods = {"pipeline": orchestrator.pod_settings}
    for step, config in (data.get("steps") or {}).items():
        step_settings = config.get("settings", {})
        validate_setting_keys(list(step_settings))
        where = f"{name}:steps.{step}"
        step_orchestrator = build(
            "orchestrator.kubernetes", step_settings["orchestrator.kubernetes"], where, problems
        )
        pods[step] = step_orchestrator.pod_settings
    for step, pod_settings in pods.items():
        pod = build_pod_manifest(
            pod_name=step.replace("_", "-"),
            image_name=IMAGE,
            command=["python", "-m", "zenml.entrypoints.step_entrypoint"],
            args=["--step_name", step],
            privileged=orchestrator.privileged,
            pod_settings=pod_settings,
            service_account_name=orchestrator.step_pod_service_account_name,
        )
        manifests[f"{name}:pod:{step}"] = {
            "manifest": serialize(pod),
            "settings": pod_settings.model_dump(exclude_unset=True) if pod_settings else {},
        }
    job = build_job_manifest(
        job_name="orchestrator",
        pod_template=pod_template_manifest_from_pod(
            build_pod_manifest(
                pod_name="orchestrator",
                image_name=IMAGE,
                command=[
                    "python",
                    "-m",
                    "zenml.integrations.kubernetes.orchestrators.kubernetes_orchestrator_entrypoint",
                ],
                args=[],
                privileged=False,
                pod_settings=orchestrator.orchestrator_pod_settings,
                service_account_name=orchestrator.service_account_name,
            )
        ),
    )
    cron = build_cron_job_manifest(
        job_template=job_template_manifest_from_job(job),
        cron_expression=schedule.cron_expression,
        successful_jobs_history_limit=orchestrator.successful_jobs_history_limit,
        failed_jobs_history_limit=orchestrator.failed_jobs_history_limit,
        concurrency_policy=orchestrator.concurrency_policy,
        starting_deadline_seconds=orchestrator.starting_deadline_seconds,
    )
    manifests[f"{name}:cronjob"] = {"manifest": serialize(cron), "settings": {}}


def main(paths: list[str]) -> None:
    problems: list[str] = []
    manifests: dict[str, Any] = {}
    for path in paths:
        check(Path(path), problems, manifests)
    print(json.dumps({"problems": problems, "manifests": manifests}))


if __name__ == "__main__":
    main(sys.argv[1:])
