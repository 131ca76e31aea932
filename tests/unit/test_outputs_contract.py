"""Every consumer of the infrastructure reads Terraform outputs that the root declares.

The ZenML stack registration, the serving manifests' CD steps, the Feast cloud configuration,
the CI workflows and ``mlopsgen deploy`` read ``infra/``'s outputs by name. A renamed output
would only fail on a real cluster, so the names each consumer reads are collected from the
generated files (and the deploy command's list) and checked against the outputs that
``infra/outputs.tf`` declares, for every reference stack that names a cloud.
"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from mlopsgen.deploy.session import SHOWN_OUTPUTS
from tests.conftest import REPO

GENERATED = REPO / "generated"
CLOUD_STACKS = sorted(p.parent.parent for p in GENERATED.glob("*/infra/outputs.tf"))

#: The outputs contract: what every cloud root exposes, whatever its cloud.
CONTRACT = (
    "cluster_name",
    "cluster_endpoint",
    "region",
    "registry_url",
    "artifact_bucket",
    "online_store_endpoint",
    "zenml_server_url",
    "pipelines_identity",
    "services_identity",
    "kubeconfig_command",
)

#: How consumers name an output: `terraform output -raw NAME`, the registration script's
#: `setting NAME`, a kustomize replacement `data.NAME`, an env file line `NAME=...`.
READS = (
    re.compile(r"output -raw ([a-z_]+)"),
    re.compile(r"\$\(setting ([a-z_]+)\)"),
    re.compile(r"fieldPath: data\.([a-z_]+)"),
    re.compile(r"printf '([a-z_]+)=%s"),
)


def _declared(stack: Path) -> set[str]:
    with (stack / "infra" / "outputs.tf").open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    return {name.strip('"') for block in parsed.get("output", []) for name in block}


def _read_by_consumers(stack: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(stack.rglob("*")):
        if not path.is_file() or "infra" in path.relative_to(stack).parts[:1]:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in READS:
            for name in pattern.findall(text):
                found.setdefault(name, set()).add(path.relative_to(stack).as_posix())
    return found


def test_there_are_cloud_stacks_to_check() -> None:
    assert len(CLOUD_STACKS) == 6


@pytest.mark.parametrize("stack", CLOUD_STACKS, ids=lambda p: p.name)
def test_every_root_declares_the_contract(stack: Path) -> None:
    assert set(CONTRACT) <= _declared(stack)


@pytest.mark.parametrize("stack", CLOUD_STACKS, ids=lambda p: p.name)
def test_every_output_a_consumer_reads_is_declared(stack: Path) -> None:
    read = _read_by_consumers(stack)
    assert {"registry_url", "services_identity", "zenml_server_url"} <= set(read)
    missing = {name: sorted(files) for name, files in read.items() if name not in _declared(stack)}
    assert not missing, f"outputs read but not declared: {missing}"


def test_the_deploy_command_shows_contract_outputs() -> None:
    assert set(SHOWN_OUTPUTS) <= set(CONTRACT)


def test_a_misspelled_read_is_caught(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    (stack / "infra").mkdir(parents=True)
    (stack / "infra" / "outputs.tf").write_text('output "registry_url" {\n  value = "x"\n}\n')
    (stack / "ci.sh").write_text("terraform -chdir=infra output -raw registry_uri\n")
    read = _read_by_consumers(stack)
    assert set(read) - _declared(stack) == {"registry_uri"}
