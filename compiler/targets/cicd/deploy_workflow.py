"""``deploy.yml``: every push to main goes to staging, then, after approval, to production.

``build`` trains the models, where a model is promoted only by its gates (``make train`` exits
3 when a gate keeps a candidate out, and then nothing is released), copies the promoted
versions into a Bento and saves its image. Then one job per GitHub environment, in order,
each waiting for the one before: it applies ``infra/`` with the environment's own state,
pushes that same image to the environment's registry and applies the serving manifests.
Each environment job is the only kind that holds ``id-token: write``; required reviewers on
the ``production`` environment hold its job until someone approves. A deploy never cancels
another half-way: runs of one environment queue.
"""

from __future__ import annotations

from typing import Any

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.cicd.actions import uses
from mlopsgen.targets.cicd.cloud_steps import (
    BACKENDS,
    kube_login,
    registry_login,
    sign_in,
    terraform_vars,
)
from mlopsgen.targets.cicd.environments import ENVIRONMENTS
from mlopsgen.targets.cicd.steps import (
    RUNNER,
    TOOL_ENV,
    checkout,
    run,
    setup_python,
    setup_terraform,
)
from mlopsgen.targets.kubernetes.views import served_services

__all__ = ["IMAGE_ARTIFACT", "deploy_workflow"]

IMAGE_ARTIFACT = "service-image"
#: BentoML's store outside the stack (a Bento built with its store inside recurses).
_BENTO_HOME = {"BENTOML_HOME": "${{ runner.temp }}/bentoml"}

_TRAIN = """\
status=0
make train || status=$?
if [ "${status}" -eq 3 ]; then
  echo "::error title=Promotion gate::a gate kept a candidate out: nothing is released"
fi
exit "${status}"
"""

_IMAGE = """\
set -- services/*/bentofile.yaml
tag="$(.venv/bin/bentoml build -f "$1" --output tag . | sed -n 's/^__tag__://p')"
.venv/bin/bentoml containerize "${tag}" --image-tag "${IMAGE}:${GITHUB_SHA}"
docker save "${IMAGE}:${GITHUB_SHA}" | gzip > "${RUNNER_TEMP}/image.tar.gz"
"""

_APPLY = """\
printf 'terraform {\\n  backend "%s" {}\\n}\\n' > infra/ci_backend_override.tf
terraform -chdir=infra init -input=false -backend-config=backend.hcl \\
  -backend-config="bucket=${TF_STATE_BUCKET}" -backend-config="%s"
terraform -chdir=infra apply -input=false -auto-approve %s
{
  echo "registry=$(terraform -chdir=infra output -raw registry_url)"
  echo "cluster=$(terraform -chdir=infra output -raw cluster_name)"
  echo "services_identity=$(terraform -chdir=infra output -raw services_identity)"
} >> "${GITHUB_OUTPUT}"
"""

_PUSH = """\
gunzip --stdout "${RUNNER_TEMP}/image/image.tar.gz" | docker load
docker tag "${IMAGE}:${GITHUB_SHA}" "${REGISTRY}/${IMAGE}:${GITHUB_SHA}"
docker push "${REGISTRY}/${IMAGE}:${GITHUB_SHA}"
"""

_MANIFESTS = """\
cd deploy/overlays/cluster
kustomize edit set image "${IMAGE}=${REGISTRY}/${IMAGE}:${GITHUB_SHA}"
printf 'services_identity=%s\\n' "${SERVICES_IDENTITY}" > outputs.env
cd ../../..
kubectl apply -k deploy/overlays/cluster
kubectl rollout status "deployment/${IMAGE}" --timeout=20m
"""


def _build_job(image: str) -> dict[str, Any]:
    return {
        "name": "Train through the gates and build the image",
        "runs-on": RUNNER,
        "timeout-minutes": 120,
        "permissions": {"contents": "read"},
        "env": TOOL_ENV,
        "steps": [
            checkout(),
            setup_python(),
            run("make install", "make install\n"),
            run("Train; promotion only through the gates", _TRAIN),
            run("Copy the promoted models into BentoML", "make export-models\n", env=_BENTO_HOME),
            run("Build the service image", _IMAGE, env={"IMAGE": image, **_BENTO_HOME}),
            {
                "name": "Keep the image for the deploy jobs",
                "uses": uses("actions/upload-artifact"),
                "with": {
                    "name": IMAGE_ARTIFACT,
                    "path": "${{ runner.temp }}/image.tar.gz",
                    "retention-days": 1,
                    "if-no-files-found": "error",
                },
            },
        ],
    }


def _environment_job(
    plan: Plan, environment: str, needs: str | None, image: str | None
) -> dict[str, Any]:
    cloud = plan.infrastructure.cloud
    backend, state = BACKENDS[cloud]
    apply_env = {
        "ENVIRONMENT": environment,
        "REPOSITORY": "${{ github.repository }}",
        "TF_STATE_BUCKET": "${{ vars.TF_STATE_BUCKET }}",
    }
    if cloud == "gcp":
        apply_env["GCP_PROJECT_ID"] = "${{ vars.GCP_PROJECT_ID }}"
    steps = [
        checkout(),
        sign_in(plan, terraform=True),
        setup_terraform(),
        run(
            "Apply infra/",
            _APPLY % (backend, state, terraform_vars(plan)),
            env=apply_env,
            id="infra",
        ),
    ]
    if image is not None:
        outputs = {
            "IMAGE": image,
            "REGISTRY": "${{ steps.infra.outputs.registry }}",
        }
        steps += [
            sign_in(plan, terraform=False),
            *registry_login(plan),
            {
                "name": "Fetch the image",
                "uses": uses("actions/download-artifact"),
                "with": {"name": IMAGE_ARTIFACT, "path": "${{ runner.temp }}/image"},
            },
            run("Push the image", _PUSH, env=outputs),
            kube_login(plan),
            run(
                "Apply the serving manifests",
                _MANIFESTS,
                env={
                    **outputs,
                    "SERVICES_IDENTITY": "${{ steps.infra.outputs.services_identity }}",
                },
            ),
        ]
    job: dict[str, Any] = {
        "name": f"Deploy to {environment}",
        "runs-on": RUNNER,
        "timeout-minutes": 90,
    }
    if needs is not None:
        job["needs"] = [needs]
    job |= {
        "environment": {"name": environment},
        "concurrency": {"group": f"deploy-{environment}", "cancel-in-progress": False},
        "permissions": {"contents": "read", "id-token": "write"},
        "steps": steps,
    }
    return job


def deploy_workflow(plan: Plan) -> dict[str, Any] | None:
    """``.github/workflows/deploy.yml`` as data, or None for a stack with no cloud."""
    if plan.infrastructure.cloud not in BACKENDS:
        return None
    services = served_services(plan)
    image = str(services[0].name) if services and plan.models else None
    jobs: dict[str, Any] = {}
    previous = None
    if image is not None:
        jobs["build"] = _build_job(image)
        previous = "build"
    for environment in ENVIRONMENTS:
        jobs[environment] = _environment_job(plan, environment, previous, image)
        previous = environment
    return {
        "name": "Deploy",
        "on": {"push": {"branches": ["main"]}},
        "permissions": {},
        # one release at a time, in push order; a newer push waits rather than cancels
        "concurrency": {"group": "deploy", "cancel-in-progress": False},
        "jobs": jobs,
    }
