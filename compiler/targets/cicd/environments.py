"""The GitHub environments a stack deploys through, in order, and the variables each holds.

The workflows deploy to each environment in turn, and the Terraform CI identities trust the
OIDC subject of exactly these environments; both read the names from here so they cannot
drift apart. Variables hold what the workflows need from outside the repository (role ARNs,
state buckets, project ids): values of Terraform outputs or of the account set-up, never
secrets, set in the repository's settings per environment.
"""

from __future__ import annotations

__all__ = ["ENVIRONMENTS", "REPOSITORY_VARIABLES", "environment_variables"]

#: Deployed in this order; each one after the first waits for the one before it.
ENVIRONMENTS = ("staging", "production")

#: Repository variables (``vars.*``) the CI workflow reads, with what each holds.
REPOSITORY_VARIABLES = {
    "MLOPSGEN_REQUIREMENT": "the pip requirement that installs mlopsgen for `make check` "
    "(default: the release that generated the stack)",
    "MLOPSGEN_SPEC": "the spec's path from the stack root, when it is not the Makefile's `SPEC`",
}

_AWS = {
    "AWS_ROLE_ARN": "`terraform -chdir=infra output -json ci_role_arns`, this environment's entry",
    "AWS_TERRAFORM_ROLE_ARN": "a role of this environment's account that may apply `infra/`, "
    "trusting the subject `repo:OWNER/NAME:environment:ENV` (created once with the account)",
    "TF_STATE_BUCKET": "the S3 bucket holding this environment's Terraform state",
}
_GCP = {
    "GCP_PROJECT_ID": "the environment's Google Cloud project (`project_id` of `infra/`)",
    "GCP_WORKLOAD_IDENTITY_PROVIDER": "`terraform -chdir=infra output -json "
    "ci_workload_identity_providers`, its one entry",
    "GCP_SERVICE_ACCOUNT": "`terraform -chdir=infra output -json ci_service_accounts`, this "
    "environment's entry",
    "GCP_TERRAFORM_SERVICE_ACCOUNT": "a service account of the project that may apply `infra/`, "
    "which the subject `repo:OWNER/NAME:environment:ENV` may impersonate through the same "
    "provider",
    "TF_STATE_BUCKET": "the GCS bucket holding this environment's Terraform state",
}


def environment_variables(cloud: str) -> dict[str, str]:
    """The variables each deploy environment needs on ``cloud``, with what each holds."""
    return dict({"aws": _AWS, "gcp": _GCP}.get(cloud, {}))
