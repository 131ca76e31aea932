"""The cluster path, checked without a cluster: ZenML's classes, Kubernetes schemas, linters.

No cluster exists here, so every generated setting is built through ZenML's own settings
classes (an unknown key, which ZenML keeps and the orchestrator then ignores, fails the test;
so does a value they change), the pod and CronJob manifests ZenML's own builders make from
them are validated with kubernetes-validate for the plan's Kubernetes version, the pipeline
image's Dockerfile passes hadolint and the registration script passes shellcheck.

The stack interpreter needs the Kubernetes client ZenML's Kubernetes integration uses. When
it lacks one, a small overlay environment is built once (cached by its pins): a venv whose
``.pth`` file puts the stack environment's packages behind its own, holding only the client
and what it adds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate import utils as validate_utils

from mlopsgen.build import build_stack
from mlopsgen.targets.zenml.cluster import REGISTER_SCRIPT, RUN_CONFIG
from mlopsgen.targets.zenml.cluster_views import CONFIG_DIR, DOCKERFILE
from tests.conftest import REFERENCE_SPECS, REPO
from tests.functional.stack_env import stack_environment, stack_python

CHECK = Path(__file__).with_name("cluster_check.py")
#: The Kubernetes client ZenML's integration asks for (``kubernetes<26``) and the packages it
#: adds to the stack environment, pinned so the overlay is the same on every machine.
CLIENT_PINS = (
    "kubernetes==25.3.0",
    "google-auth==2.63.0",
    "oauthlib==4.0.1",
    "pyasn1==0.6.5",
    "pyasn1-modules==0.4.2",
    "requests-oauthlib==2.0.0",
    "websocket-client==1.9.2",
)
TOOLS = Path(sys.executable).parent
#: The reference stacks, and a language stack (LoRA fine-tuning steps on the plan's GPUs).
CLUSTER_SPECS = (*REFERENCE_SPECS, REPO / "specs" / "llm" / "support-assistant.yaml")


def _ids(spec: Path) -> str:
    return spec.stem


def _imports_kubernetes(python: Path) -> bool:
    probe = subprocess.run([str(python), "-c", "import kubernetes"], capture_output=True)
    return probe.returncode == 0


def _overlay(python: Path) -> Path:
    """An interpreter seeing the stack environment plus the Kubernetes client (cached)."""
    digest = hashlib.sha256("\n".join((str(python), *CLIENT_PINS)).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlopsgen"
    root = cache / f"stack-kubernetes-client-{digest}"
    if (root / ".complete").exists():
        return root / "bin" / "python"
    building = cache / f"{root.name}.{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(building)], check=True)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    own = next((building / "lib").glob("python*/site-packages"))
    (own / "_stack_environment.pth").write_text(
        f"import site; site.addsitedir({purelib!r})\n", encoding="utf-8"
    )
    pip = [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
    installed = subprocess.run(
        [*pip, "--prefix", str(building), *CLIENT_PINS],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        pytest.fail(f"cannot install the Kubernetes client overlay:\n{installed.stderr[-4000:]}")
    (building / ".complete").write_text("\n".join(CLIENT_PINS) + "\n", encoding="utf-8")
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        os.replace(building, root)
    return root / "bin" / "python"


@pytest.fixture(scope="module")
def cluster_python() -> Path:
    """The stack interpreter, with the Kubernetes client ZenML's integration needs."""
    python = stack_python()
    return python if _imports_kubernetes(python) else _overlay(python)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every reference stack and the language stack, built once for this module."""
    root = tmp_path_factory.mktemp("cluster-stacks")
    built = {}
    for spec in CLUSTER_SPECS:
        report = build_stack(spec, root / spec.stem)
        assert report.exit_code == 0, report
        built[spec.stem] = root / spec.stem
    return built


_CHECKED: dict[Path, dict[str, Any]] = {}


def _check(python: Path, stack: Path) -> dict[str, Any]:
    """Run ``cluster_check.py`` on every run configuration of ``stack`` (once per stack)."""
    if stack in _CHECKED:
        return _CHECKED[stack]
    configs = [stack / RUN_CONFIG, *sorted((stack / CONFIG_DIR / "kubernetes").glob("*.yaml"))]
    env = stack_environment(stack, {"SETUPTOOLS_USE_DISTUTILS": "stdlib"})
    done = subprocess.run(
        [str(python), str(CHECK), *map(str, configs)],
        cwd=stack,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-6000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    _CHECKED[stack] = result
    return result


def _kubernetes_version(stack: Path) -> str:
    """The plan's Kubernetes version, or the nearest one kubernetes-validate has schemas for."""
    wanted = json.loads((stack / "plan.json").read_text())["infrastructure"]["kubernetes_version"]
    shipped = validate_utils.all_versions()

    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split(".")[:2])

    target = key(wanted)
    return min(shipped, key=lambda v: (abs(key(v)[0] - target[0]), abs(key(v)[1] - target[1]), v))


@pytest.mark.parametrize("spec", CLUSTER_SPECS, ids=_ids)
def test_every_setting_builds_through_zenml_and_every_pod_spec_validates(
    spec: Path, stacks: dict[str, Path], cluster_python: Path
) -> None:
    stack = stacks[spec.stem]
    result = _check(cluster_python, stack)
    assert result["problems"] == []
    version = _kubernetes_version(stack)
    assert result["manifests"], "no manifest was built"
    for name, built in result["manifests"].items():
        try:
            kubernetes_validate.validate(built["manifest"], version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name} is not a valid Kubernetes {version} object: {error.message}")


@pytest.mark.parametrize("spec", CLUSTER_SPECS, ids=_ids)
def test_the_pods_zenml_builds_carry_the_planned_resources_and_placement(
    spec: Path, stacks: dict[str, Path], cluster_python: Path
) -> None:
    """The pitfall of ZenML 0.94: pod settings that validated but never reached the pod."""
    result = _check(cluster_python, stacks[spec.stem])
    manifests = result["manifests"].items()
    steps = {k: v for k, v in manifests if ":pod:" in k and not k.endswith(":pod:pipeline")}
    assert steps, "no step pod was built"
    for name, built in steps.items():
        settings, pod = built["settings"], built["manifest"]["spec"]
        assert pod["containers"][0]["resources"] == settings["resources"], name
        assert pod.get("nodeSelector", {}) == settings.get("node_selectors", {}), name
        assert pod.get("tolerations", []) == settings.get("tolerations", []), name


def _tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        pytest.fail(f"{name} is missing from the dev environment: run make .venv/.installed")
    return str(path)


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=_ids)
def test_the_pipeline_image_passes_hadolint(spec: Path, stacks: dict[str, Path]) -> None:
    dockerfile = stacks[spec.stem] / DOCKERFILE
    done = subprocess.run(
        [_tool("hadolint"), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("spec", REFERENCE_SPECS, ids=_ids)
def test_the_registration_script_passes_shellcheck(spec: Path, stacks: dict[str, Path]) -> None:
    script = stacks[spec.stem] / REGISTER_SCRIPT
    done = subprocess.run(
        [_tool("shellcheck"), "--severity=style", "--shell=bash", str(script)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


#: Stand-ins for the tools the registration script drives: each logs its arguments, one line
#: per call; ``zenml`` remembers what was registered so ``describe`` answers as a server would.
FAKE_TOOLS = {
    "terraform": """#!/usr/bin/env bash
case "$4" in
  registry_url) printf '%s' 123456789012.dkr.ecr.eu-west-1.amazonaws.com/stack-images ;;
  artifact_bucket) printf '%s' artifacts-bucket ;;
  kubeconfig_command) printf '%s' 'kubectl config use-context test-context' ;;
  *) printf '%s' "value-of-$4" ;;
esac
""",
    "kubectl": """#!/usr/bin/env bash
echo "kubectl $*" >> "$TOOL_LOG"
if [[ "$*" == "config current-context" ]]; then echo test-context; fi
if [[ "$*" == *"apply -f -"* ]]; then cat > /dev/null; fi
if [[ "$*" == *"--dry-run=client"* ]]; then echo "kind: Object"; fi
""",
    "zenml": """#!/usr/bin/env bash
echo "zenml $*" >> "$TOOL_LOG"
state="$TOOL_STATE/$1-$3"
case "$2" in
  describe) [[ -e "$state" ]] ;;
  register) touch "$state" ;;
esac
""",
}


def _run_registration(stack: Path, tools: Path, extra: dict[str, str]) -> list[str]:
    log = tools / "calls.log"
    log.unlink(missing_ok=True)
    env = {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "TOOL_LOG": str(log),
        "TOOL_STATE": str(tools / "state"),
        **extra,
    }
    done = subprocess.run(
        ["bash", str(stack / REGISTER_SCRIPT)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text(encoding="utf-8").splitlines()


def test_the_registration_script_registers_then_updates(
    stacks: dict[str, Path], tmp_path: Path
) -> None:
    stack = stacks["fraud-detection"]
    tools = tmp_path / "bin"
    (tools / "state").mkdir(parents=True)
    for name, text in FAKE_TOOLS.items():
        (tools / name).write_text(text, encoding="utf-8")
        (tools / name).chmod(0o755)
    first = _run_registration(stack, tools, {})
    assert "zenml login value-of-zenml_server_url" in first
    assert (
        "zenml orchestrator register fraud-detection-kubernetes --flavor=kubernetes "
        "--kubernetes_context=test-context --kubernetes_namespace=fraud-detection"
    ) in first
    assert (
        "zenml container-registry register fraud-detection-registry --flavor=aws "
        "--uri=123456789012.dkr.ecr.eu-west-1.amazonaws.com --default_repository=stack-images"
    ) in first
    assert (
        "zenml artifact-store register fraud-detection-artifacts --flavor=s3 "
        "--path=s3://artifacts-bucket"
    ) in first
    assert any(c.startswith("zenml stack register fraud-detection -o ") for c in first)
    assert any("eks.amazonaws.com/role-arn=value-of-pipelines_identity" in c for c in first)
    assert first[0] == "kubectl config use-context test-context"
    assert first[-1] == "zenml stack set fraud-detection"

    again = _run_registration(stack, tools, {"MLOPSGEN_ARTIFACT_BUCKET": "other-bucket"})
    assert not [c for c in again if " register " in c]
    assert "zenml artifact-store update fraud-detection-artifacts --path=s3://other-bucket" in again
    assert any(c.startswith("zenml stack update fraud-detection -o ") for c in again)
