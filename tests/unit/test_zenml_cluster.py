"""The cluster path of the pipelines: run configs, registration script, image, README section.

The settings themselves are built through ZenML's own classes in the functional tier; here the
files are checked as data: which exist, that every pod asks for exactly the plan's resources
on the right pool, that rendering is deterministic, and that hostile names stay inert in YAML
and in the shell script.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.quantities import cpu_quantity, memory_quantity
from mlopsgen.targets.zenml.cluster import REGISTER_SCRIPT, RUN_CONFIG, ClusterTarget
from mlopsgen.targets.zenml.cluster_readme import SECTION_HEADING
from mlopsgen.targets.zenml.cluster_views import (
    DOCKERFILE,
    DOCKERIGNORE,
    GPU_RESOURCE,
    NODE_POOL_LABEL,
    pipeline_config_path,
    step_resources,
    trainable_models,
)
from tests.unit.hostile_strings import hostile_text
from tests.unit.plan_support import REFERENCE, VISION, plan, variant

TARGET = ClusterTarget()


def _config(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _cpu(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def _gib(quantity: str) -> float:
    return int(quantity[:-2]) / 1024 if quantity.endswith("Mi") else float(quantity[:-2])


def _pods(text: str) -> dict[str, dict[str, Any]]:
    """Each step's pod settings in a pipeline's run configuration."""
    steps = _config(text)["steps"]
    return {
        name: config["settings"]["orchestrator.kubernetes"]["pod_settings"]
        for name, config in steps.items()
    }


@pytest.mark.parametrize("stem", REFERENCE)
def test_every_file_exists_with_a_purpose(stem: str) -> None:
    rendered = TARGET.render(plan(stem))
    expected = {RUN_CONFIG, REGISTER_SCRIPT, DOCKERFILE, DOCKERIGNORE}
    expected |= {pipeline_config_path(m) for m in trainable_models(plan(stem))}
    assert set(rendered.files) == expected
    assert set(rendered.purposes) == expected
    assert all(purpose.strip() for purpose in rendered.purposes.values())
    assert list(rendered.sections) == [SECTION_HEADING]


@pytest.mark.parametrize("stem", REFERENCE)
def test_rendering_is_deterministic(stem: str) -> None:
    assert TARGET.render(plan(stem)) == TARGET.render(plan(stem))


@pytest.mark.parametrize("stem", REFERENCE)
def test_each_step_requests_exactly_the_plans_resources(stem: str) -> None:
    the_plan = plan(stem)
    rendered = TARGET.render(the_plan)
    for model in trainable_models(the_plan):
        pods = _pods(rendered.files[pipeline_config_path(model)])
        sized = step_resources(model)
        assert list(pods) == list(sized)
        for name, step in sized.items():
            requests = pods[name]["resources"]["requests"]
            limits = pods[name]["resources"]["limits"]
            assert _cpu(requests["cpu"]) == pytest.approx(step.cpu, abs=1e-3)
            assert _gib(requests["memory"]) == pytest.approx(step.memory_gib, abs=1 / 1024)
            assert limits["memory"] == requests["memory"]
            assert requests.get(GPU_RESOURCE, "0") == limits.get(GPU_RESOURCE, "0")
            assert int(requests.get(GPU_RESOURCE, "0")) == step.gpu


def test_leakage_check_runs_with_the_validation_resources() -> None:
    for model in trainable_models(plan(VISION)):
        sized = step_resources(model)
        assert dataclasses.replace(sized["check_leakage"], name="validate") == sized["validate"]


def test_gpu_steps_land_on_the_gpu_pool_and_tolerate_its_taint() -> None:
    the_plan = plan(VISION)
    pools = {pool.name: pool for pool in the_plan.compute.pools}
    model = trainable_models(the_plan)[0]
    pods = _pods(TARGET.render(the_plan).files[pipeline_config_path(model)])
    gpu_steps = {s.name for s in step_resources(model).values() if s.gpu}
    assert gpu_steps, "the vision plan trains on GPUs"
    for name, pod in pods.items():
        pool = pools[pod["node_selectors"][NODE_POOL_LABEL]]
        assert pool.role.endswith("training")
        keys = {t["key"] for t in pod.get("tolerations", [])}
        assert (pool.gpus > 0) == (name in gpu_steps)
        assert (GPU_RESOURCE in keys) == (name in gpu_steps)


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_schedules_are_the_plans_crons(stem: str) -> None:
    the_plan = plan(stem)
    rendered = TARGET.render(the_plan)
    base = _config(rendered.files[RUN_CONFIG])
    assert base["schedule"] == {"cron_expression": the_plan.training.cron}
    crons = {m.name: m.cron for m in the_plan.training.models}
    for model in trainable_models(the_plan):
        config = _config(rendered.files[pipeline_config_path(model)])
        assert config["schedule"] == {"cron_expression": crons[model.name]}
        assert config["settings"] == base["settings"]


def test_a_plan_without_pools_places_pods_anywhere() -> None:
    the_plan = plan(VISION)
    bare = dataclasses.replace(the_plan, compute=dataclasses.replace(the_plan.compute, pools=()))
    model = trainable_models(bare)[0]
    pods = _pods(TARGET.render(bare).files[pipeline_config_path(model)])
    for name, pod in pods.items():
        assert "node_selectors" not in pod
        assert bool(pod.get("tolerations")) == bool(step_resources(model)[name].gpu), name


@pytest.mark.parametrize(
    ("cpu", "quantity"), [(0.5, "500m"), (1, "1"), (2.0, "2"), (0.25, "250m"), (9.0, "9")]
)
def test_cpu_quantities(cpu: float, quantity: str) -> None:
    assert cpu_quantity(cpu) == quantity


@pytest.mark.parametrize(("gib", "quantity"), [(1, "1Gi"), (6.0, "6Gi"), (1.5, "1536Mi")])
def test_memory_quantities(gib: float, quantity: str) -> None:
    assert memory_quantity(gib) == quantity


def test_the_cloud_picks_the_artifact_store_and_registry() -> None:
    aws = TARGET.render(plan(VISION)).files[REGISTER_SCRIPT]
    gcp = TARGET.render(variant(VISION, [(("infrastructure", "cloud"), "gcp")]).plan)
    assert 'component artifact-store "${STACK}-artifacts" s3' in aws
    assert "eks.amazonaws.com/role-arn" in aws
    script = gcp.files[REGISTER_SCRIPT]
    assert 'component artifact-store "${STACK}-artifacts" gcp' in script
    assert "--path=gs://" in script
    assert "gcsfs==" in gcp.files[DOCKERFILE]


def _representable(text: str) -> bool:
    """Text a file and a shell word can hold: no NUL, no lone surrogate."""
    return "\0" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _hostile_plan(base: Plan, name: str) -> Plan:
    system = dataclasses.replace(base.system, k8s_name=name, name=name)
    return dataclasses.replace(base, system=system)


def _shell_values(script: str, *variables: str) -> list[str]:
    """What ``variables`` hold after the script's own assignments run in bash."""
    start = script.index("\nSTACK=") + 1
    block = script[start : script.index("\nsetting() {")]
    shown = " ".join(f'"${{{variable}}}"' for variable in variables)
    done = subprocess.run(  # bytes: text mode would turn a carriage return into a newline
        ["bash", "-c", f"{block}\nprintf '%s\\0' {shown}"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8").split("\0")[:-1]


@settings(deadline=None, max_examples=25)
@given(name=hostile_text.filter(_representable))
def test_hostile_names_stay_data_in_yaml_and_shell(name: str) -> None:
    rendered = TARGET.render(_hostile_plan(plan(VISION), name))
    base = _config(rendered.files[RUN_CONFIG])
    assert base["settings"]["orchestrator.kubernetes"]["service_account_name"] == (
        f"{name}-pipelines"
    )
    script = rendered.files[REGISTER_SCRIPT]
    syntax = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    assert _shell_values(script, "STACK", "NAMESPACE", "SERVICE_ACCOUNT") == [
        name,
        name,
        f"{name}-pipelines",
    ]


def test_the_readme_section_runs_every_training_pipeline_with_its_config() -> None:
    the_plan = plan(VISION)
    section = TARGET.render(the_plan).sections[SECTION_HEADING]
    assert "bash pipelines/configs/register_kubernetes_stack.sh" in section
    for model in trainable_models(the_plan):
        command = (
            f"python -m pipelines.run --pipeline train_{model.name} "
            f"--config {pipeline_config_path(model)}"
        )
        assert command in section


def test_the_dockerignore_keeps_only_what_the_image_copies() -> None:
    rendered = TARGET.render(plan(VISION))
    lines = rendered.files[DOCKERIGNORE].splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules == ["*", "!pyproject.toml", "!constraints.txt"]
    assert "COPY pyproject.toml constraints.txt /tmp/stack/" in rendered.files[DOCKERFILE]


def test_the_generated_record_holds_the_cluster_files() -> None:
    root = Path(__file__).resolve().parents[2] / "generated"
    for stem in REFERENCE:
        assert (root / stem / RUN_CONFIG).is_file(), stem
        assert (root / stem / REGISTER_SCRIPT).is_file(), stem
