"""The stack README's infrastructure sections: how to apply ``infra/``, or what a cloud adds.

Plan values appear only through the Markdown escapers, so a region or name cannot break the
page; the commands are the target's own text.
"""

from __future__ import annotations

from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.filters_markup import markdown_code, markdown_text
from mlopsgen.wording import count

__all__ = ["apply_section", "local_section"]

_CLOUD_NAMES = {"aws": "AWS (EKS)", "gcp": "Google Cloud (GKE)"}


def apply_section(plan: Plan) -> str:
    """How to apply the two roots, in order, and what each needs first."""
    infra = plan.infrastructure
    cloud = _CLOUD_NAMES[infra.cloud]
    zones = ", ".join(markdown_code(zone) for zone in infra.zones)
    login = (
        "`aws sts get-caller-identity` works"
        if infra.cloud == "aws"
        else "`gcloud auth application-default login` is done and `project_id` is set in "
        "`infra/terraform.tfvars.json`"
    )
    return f"""\
`infra/` provisions the stack on {markdown_text(cloud)} in {markdown_code(infra.region or "")} \
across {count(len(infra.zones), "zones")} ({zones}): network, a private Kubernetes cluster with \
the plan's {count(len(plan.compute.pools), "node pools")}, buckets, a container registry, the \
online store, one identity per workload, secrets and a CI identity trusted through OIDC. Every \
value is in `infra/terraform.tfvars.json`, written from the plan; the modules under \
`infra/modules/` are fixed, reviewed code.

1. Check your credentials: {login}.
2. Cluster root: `terraform -chdir=infra init`, then `terraform -chdir=infra plan -out=tfplan` \
and `terraform -chdir=infra apply tfplan`.
3. Platform stage (ZenML server, kube-prometheus-stack and, on AWS, the cluster \
autoscaler), from a machine that reaches the private cluster endpoint (a VPN or a runner \
inside the network): \
`terraform -chdir=infra/platform init` and `terraform -chdir=infra/platform apply`. It reads \
the cluster root's outputs from its state (`cluster_state` in its tfvars).
4. Read what other tools need: `terraform -chdir=infra output -raw cluster_endpoint` (also \
`cluster_name`, `region`, `registry_url`, `artifact_bucket`, `online_store_endpoint`, \
`zenml_server_url`, `pipelines_identity`, `services_identity`, `kubeconfig_command`).

State is local by default. To share it with locking, add an empty backend block \
(`backend "{"gcs" if infra.cloud == "gcp" else "s3"}" {{}}`) to the `terraform` block of \
`versions.tf` and run `terraform init -backend-config=backend.hcl -migrate-state` (each root \
has its own `backend.hcl`); set the platform stage's `cluster_state` to the same backend.

CI deploys as one identity per GitHub environment, created once `ci.repository` \
(`owner/name`) is given (`-var`, as the CI/CD section shows): each trusts only its \
environment's jobs. Secret \
values are never in Terraform: put them into the secrets listed by \
`terraform -chdir=infra output secret_names` with the cloud's CLI.

mlopsgen's own tests parse, format-check, resolve and scan this configuration offline; \
`terraform validate` and `plan` against the real providers run only where the providers can \
be downloaded (tests marked `providers`).
"""


def local_section(plan: Plan) -> str:
    """What naming a cloud in the spec would add to this local stack."""
    return f"""\
This stack runs on one machine (`infrastructure.cloud: local`), so it has no `infra/` folder. \
Naming a cloud in the spec (`cloud: aws` or `cloud: gcp`, with a `region`) adds `infra/`: \
Terraform for a network across the planned zones, a private managed Kubernetes cluster (EKS or \
GKE) with the plan's node pools (GPU pools tainted and labelled), encrypted versioned buckets, \
a container registry, the online store the spec names (Redis, DynamoDB or Bigtable) sized by \
the plan, one identity per workload, a secret manager and a CI identity trusted through OIDC; \
and `infra/platform/`, which installs the ZenML server and kube-prometheus-stack through Helm. \
Planned here for {count(len(plan.compute.pools), "node pools")} on the {
        markdown_code(plan.compute.profile)
    } profile.
"""
