"""The Terraform target: ``infra/`` for stacks on a cloud, a README section for local ones.

A cloud stack gets two Terraform roots. ``infra/`` provisions the platform (network, cluster,
node pools, storage, registry, online store, identities, secrets, CI role) from reviewed
modules copied as they are from ``templates/terraform/``, with thin root glue; every value
reaches it as ``terraform.tfvars.json``, dumped from the Plan, so no spec string is ever
written into HCL. ``infra/platform/`` is a second stage that installs the ZenML server and
kube-prometheus-stack through Helm into the cluster the first root created, reading that
root's outputs from its state. ``backend.hcl`` files hold the remote-state settings, which
backend blocks cannot read from variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.dumps import json_dump
from mlopsgen.targets.terraform.hcl import hcl_value
from mlopsgen.targets.terraform.readme import apply_section, local_section
from mlopsgen.targets.terraform.views import (
    CLOUDS,
    backend_settings,
    cluster_tfvars,
    platform_tfvars,
)

__all__ = ["MODULE_PURPOSES", "TerraformTarget"]

#: What each module provisions, per cloud; the stack README lists its files with it.
MODULE_PURPOSES = {
    "network": "the VPC across the plan's zones: subnets, NAT, flow logs",
    "cluster": "the Kubernetes control plane: private endpoint, secrets encryption, logs",
    "node_groups": "the plan's node pools: instance types, counts, bounds, GPU taints",
    "node_pools": "the plan's node pools: machine types, counts, bounds, GPU taints",
    "storage": "artifact and offline-store buckets: encryption, versioning, lifecycle",
    "registry": "the container registry of the stack's images",
    "online_store": "the online feature store the spec names, sized by the plan",
    "identities": "one least-privilege cloud identity per workload",
    "secrets": "the encryption key and the secrets workloads read by name",
    "ci": "the CI deploy identity trusted through OIDC, without long-lived keys",
}
_FILE_ROLES = {
    "main.tf": "resources",
    "variables.tf": "typed inputs",
    "outputs.tf": "outputs",
    "autoscaler.tf": "the cluster autoscaler's identity",
}
_ROOT_PURPOSES = {
    "main.tf": "the cluster root: module calls wiring the stack's infrastructure",
    "variables.tf": "the cluster root's typed variables, with descriptions and validation",
    "outputs.tf": "the outputs every consumer reads by name (cluster, registry, buckets, ...)",
    "versions.tf": "pinned Terraform and provider versions, and the provider settings",
}
_PLATFORM_PURPOSES = {
    "main.tf": "the platform stage: the ZenML server and kube-prometheus-stack through Helm",
    "variables.tf": "the platform stage's typed variables",
    "outputs.tf": "the platform stage's outputs",
    "versions.tf": "pinned versions of the platform stage and its Helm provider",
    "autoscaler.tf": "the cluster autoscaler that moves node groups between the plan's bounds",
}


def _templates() -> Traversable:
    return resources.files("mlopsgen") / "templates" / "terraform"


def _read_dir(node: Traversable) -> dict[str, str]:
    """Every file under ``node``, keyed by its relative POSIX path, sorted."""
    found: dict[str, str] = {}
    pending: list[tuple[str, Traversable]] = [("", node)]
    while pending:
        prefix, current = pending.pop()
        for child in current.iterdir():
            if child.is_dir():
                pending.append((f"{prefix}{child.name}/", child))
            else:
                found[f"{prefix}{child.name}"] = child.read_text(encoding="utf-8")
    return dict(sorted(found.items()))


def _header(plan: Plan) -> str:
    return generated_header("#", __version__, plan.system.spec_sha256)


def backend_hcl(plan: Plan, stage: str) -> str:
    """A ``-backend-config`` file: one aligned ``name = value`` line per setting."""
    settings = backend_settings(plan, stage)
    width = max(len(name) for name, _ in settings)
    lines = [
        _header(plan).rstrip("\n"),
        "# Remote state with locking: `terraform init -backend-config=backend.hcl` once the",
        "# backend block is enabled (see the stack README). The state bucket must exist first.",
        *(f"{name.ljust(width)} = {hcl_value(value)}" for name, value in settings),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TerraformTarget:
    """``infra/`` (cluster root, modules, platform stage) for cloud stacks."""

    name: str = "terraform"

    def render(self, plan: Plan) -> Rendered:
        """The two roots and their modules, or only a README section for a local stack."""
        cloud = plan.infrastructure.cloud
        if cloud == "local":
            return Rendered({}, {}, sections={"Running on a cloud": local_section(plan)})
        if cloud not in CLOUDS:
            return Rendered({}, {})
        files: dict[str, str] = {}
        purposes: dict[str, str] = {}
        for module, text_by_file in _modules(cloud).items():
            for file, text in text_by_file.items():
                path = f"infra/modules/{module}/{file}"
                files[path] = _header(plan) + text
                purposes[path] = f"{MODULE_PURPOSES[module]} ({_FILE_ROLES[file]})"
        for folder, own in (("infra", _ROOT_PURPOSES), ("infra/platform", _PLATFORM_PURPOSES)):
            source = "roots" if folder == "infra" else "platform"
            for file, text in _read_dir(_templates() / source / cloud).items():
                files[f"{folder}/{file}"] = _header(plan) + text
                purposes[f"{folder}/{file}"] = own[file]
        files["infra/terraform.tfvars.json"] = json_dump(cluster_tfvars(plan))
        purposes["infra/terraform.tfvars.json"] = "the cluster root's values, from the plan"
        files["infra/platform/terraform.tfvars.json"] = json_dump(platform_tfvars(plan))
        purposes["infra/platform/terraform.tfvars.json"] = "the platform stage's values"
        files["infra/backend.hcl"] = backend_hcl(plan, "infra")
        purposes["infra/backend.hcl"] = "remote state settings of the cluster root"
        files["infra/platform/backend.hcl"] = backend_hcl(plan, "platform")
        purposes["infra/platform/backend.hcl"] = "remote state settings of the platform stage"
        return Rendered(files, purposes, sections={"Infrastructure": apply_section(plan)})


def _modules(cloud: str) -> dict[str, dict[str, str]]:
    """The reviewed modules of one cloud: module name -> file name -> text."""
    root = _templates() / "modules" / cloud
    modules: dict[str, dict[str, str]] = {}
    for path, text in _read_dir(root).items():
        module, _, file = path.partition("/")
        modules.setdefault(module, {})[file] = text
    return modules
