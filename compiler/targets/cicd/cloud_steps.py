"""The cloud-specific steps of a deploy job: OIDC sign-in, the Terraform backend, the registry
and the cluster, for AWS and Google Cloud.

Each deploy job signs in twice, through OIDC only: first as the environment's Terraform
identity (``infra/`` creates roles and clusters, so its identity must exist before the stack
does and is set up with the account), then as the stack's own CI identity, which may only
push images and reach the cluster. Identifiers come from the environment's variables
(``vars.*``): Terraform outputs and account set-up, never secrets.
"""

from __future__ import annotations

from typing import Any

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.cicd.actions import uses

__all__ = ["BACKENDS", "kube_login", "registry_login", "sign_in", "terraform_vars"]

#: Per cloud: the backend type and the setting that keeps each environment's state apart.
BACKENDS = {"aws": ("s3", "key=${ENVIRONMENT}/infra/terraform.tfstate"),
            "gcp": ("gcs", "prefix=${ENVIRONMENT}/infra")}  # fmt: skip


def sign_in(plan: Plan, terraform: bool) -> dict[str, Any]:
    """Exchange the job's OIDC token for the Terraform identity or the CI identity."""
    who = "Terraform" if terraform else "deploy"
    if plan.infrastructure.cloud == "aws":
        role = "AWS_TERRAFORM_ROLE_ARN" if terraform else "AWS_ROLE_ARN"
        return {
            "name": f"Sign in to AWS as the {who} role",
            "uses": uses("aws-actions/configure-aws-credentials"),
            "with": {
                "role-to-assume": f"${{{{ vars.{role} }}}}",
                "aws-region": plan.infrastructure.region,
                "role-session-name": f"{plan.system.k8s_name}-{who.lower()}",
                "mask-aws-account-id": True,
            },
        }
    account = "GCP_TERRAFORM_SERVICE_ACCOUNT" if terraform else "GCP_SERVICE_ACCOUNT"
    return {
        "name": f"Sign in to Google Cloud as the {who} service account",
        "uses": uses("google-github-actions/auth"),
        "with": {
            "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
            "service_account": f"${{{{ vars.{account} }}}}",
            "create_credentials_file": True,
        },
    }


def terraform_vars(plan: Plan) -> str:
    """The ``-var`` arguments that complete the plan's tfvars for one environment.

    The CI identity trusts this repository and this environment only; on Google Cloud the
    project is the environment's own.
    """
    ci = '-var "ci={repository=\\"${REPOSITORY}\\", environments=[\\"${ENVIRONMENT}\\"]}"'
    if plan.infrastructure.cloud == "gcp":
        return f'{ci} -var "project_id=${{GCP_PROJECT_ID}}"'
    return ci


def registry_login(plan: Plan) -> list[dict[str, Any]]:
    """Let ``docker push`` reach the stack's registry as the CI identity."""
    if plan.infrastructure.cloud == "aws":
        return [
            {
                "name": "Sign in to the registry",
                "uses": uses("aws-actions/amazon-ecr-login"),
                "with": {"mask-password": True},
            }
        ]
    return [
        {
            "name": "Set up gcloud",
            "uses": uses("google-github-actions/setup-gcloud"),
        },
        {
            "name": "Sign in to the registry",
            "env": {"REGISTRY": "${{ steps.infra.outputs.registry }}"},
            "run": 'gcloud auth configure-docker "${REGISTRY%%/*}" --quiet\n',
        },
    ]


def kube_login(plan: Plan) -> dict[str, Any]:
    """A kubeconfig for the cluster, as the CI identity (its access entry or IAM role)."""
    if plan.infrastructure.cloud == "aws":
        return {
            "name": "Connect to the cluster",
            "env": {
                "CLUSTER": "${{ steps.infra.outputs.cluster }}",
                "REGION": plan.infrastructure.region,
            },
            "run": 'aws eks update-kubeconfig --name "${CLUSTER}" --region "${REGION}"\n',
        }
    return {
        "name": "Connect to the cluster",
        "uses": uses("google-github-actions/get-gke-credentials"),
        "with": {
            "cluster_name": "${{ steps.infra.outputs.cluster }}",
            "location": plan.infrastructure.region,
            "project_id": "${{ vars.GCP_PROJECT_ID }}",
        },
    }
