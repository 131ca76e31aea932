"""The stack README's "CI/CD" section: what each workflow does and what to set up for it."""

from __future__ import annotations

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.cicd.ci_workflow import CI_ROWS, GATE_KEPT_OUT
from mlopsgen.targets.cicd.environments import (
    ENVIRONMENTS,
    REPOSITORY_VARIABLES,
    environment_variables,
)
from mlopsgen.targets.kubernetes.views import served_services

__all__ = ["HEADING", "cicd_section"]

HEADING = "CI/CD"

_CI = f"""\
`.github/workflows/` holds GitHub Actions workflows for a repository whose root is this
directory. Every action is pinned to a commit (its release in a comment), every job reads
only what it needs (`permissions: {{{{}}}}` at the top, per job below), checkouts keep no token,
and values from GitHub reach scripts through `env:` only.

`ci.yml` runs on every pull request and push to `main`: `make check` (this directory is
what the spec generates; set the repository variable `MLOPSGEN_SPEC` when the spec is not at
the Makefile's `SPEC`), `terraform fmt -check` and checkov over `infra/` where the stack has
one, `make check-monitoring` where it serves, and `make train ROWS={CI_ROWS}`. A gate that
keeps a candidate out on that small sample (exit code {GATE_KEPT_OUT}) is shown as a warning
and in the job summary, not as a failure; any other non-zero exit fails the job.
Repository variables it reads:

{{repository}}

The same checks locally, from this directory:

```sh
make check
terraform fmt -check -recursive infra
checkov --directory infra --framework terraform --skip-download   # in its own virtualenv
make check-monitoring
make train ROWS={CI_ROWS}
```"""

_DEPLOY = """\
`deploy.yml` runs on every push to `main`. {build}Then {order}, each job after the one
before it succeeds, each in the GitHub environment of that name: it signs in through OIDC
(no stored cloud keys; only these jobs hold `id-token: write`) first as the environment's
Terraform identity to apply `infra/` with its own state (`TF_STATE_BUCKET`, one state per
environment), then as the stack's CI identity{push}. Deploys of one environment queue and
never cancel each other.

Create the environments {names} in the repository's settings, and give `production`
required reviewers (and, if wanted, a branch policy allowing `main` only): its job waits for
an approval. The CI identities `infra/` creates trust exactly the OIDC subject
`repo:OWNER/NAME:environment:ENV` of their environment, which GitHub issues only once the
environment's rules have passed; each environment has its own account or project. The
first apply of each is done by hand with the same variables the workflow passes:
`terraform -chdir=infra apply -var 'ci={{repository="OWNER/NAME", environments=["ENV"]}}'`{project}.
Then set each environment's variables (values, not secrets):

{variables}"""

_LOCAL = """\
This stack runs on the local profile and has no cloud to deploy to: there is no `deploy.yml`.
A stack whose spec names `aws` or `gcp` also gets one that deploys through the environments
{names} in turn."""


def _table(rows: dict[str, str]) -> str:
    lines = ["| variable | value |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in rows.items()]
    return "\n".join(lines)


def cicd_section(plan: Plan, deploys: bool, builds_image: bool) -> str:
    """The README section for the workflows the stack has."""
    names = " and ".join(f"`{name}`" for name in ENVIRONMENTS)
    parts = [_CI.format(repository=_table(REPOSITORY_VARIABLES))]
    if not deploys:
        parts.append(_LOCAL.format(names=names))
        return "\n\n".join(parts)
    cloud = plan.infrastructure.cloud
    build = ""
    push = " to reach the cluster"
    if builds_image:
        build = (
            "`build` trains the models, each promoted only by its gates (a gate that keeps a "
            "candidate out stops the release), copies the promoted versions into a Bento and "
            "saves its image. "
        )
        push = (
            ", pushes that one image to the environment's registry, applies `deploy/` and "
            "waits for the rollout"
        )
        services = served_services(plan)
        if services and services[0].rolls_out:
            push += (
                "; in `production`, a canary rollout the training run started (kept by "
                "`build` as the artifact `rollout-state`) is then handed to the cluster's "
                "rollout controller: `kubectl proxy` on 127.0.0.1 and `python -m "
                "pipelines.rollout adopt` from the pushed image write it to the ConfigMap "
                "the CronJob judges"
            )
    parts.append(
        _DEPLOY.format(
            build=build,
            order=" then ".join(f"`{name}`" for name in ENVIRONMENTS),
            push=push,
            names=names,
            project=" -var project_id=PROJECT" if cloud == "gcp" else "",
            variables=_table(environment_variables(cloud)),
        )
    )
    return "\n\n".join(parts)
