"""``deploy.yml``: every push to main goes to staging, then, after approval, to production.

``build`` trains the models, where a model is promoted only by its gates (``make train`` exits
3 when a gate keeps a candidate out, and then nothing is released), copies the promoted
versions into a Bento and saves its image. Then one job per GitHub environment, in order,
each waiting for the one before: it applies ``infra/`` with the environment's own state,
pushes that same image to the environment's registry and applies the serving manifests.
Each environment job is the only kind that holds ``id-token: write``; required reviewers on
the ``production`` environment hold its job until someone approves. A deploy never cancels
another half-way: runs of one environment queue.

A stack that rolls promoted versions out step by step hands the training run's rollout to the
cluster: ``make train`` starts it in the runner's state file (``.mlopsgen/rollout.json``),
which the build job keeps as an artifact (an empty state when no rollout started); once the
production job's manifests are applied and the new pods hold the candidate, it runs
``kubectl proxy`` on 127.0.0.1 and, from the image it just pushed (the controller's own code,
as the CronJob runs it), ``python -m pipelines.rollout adopt`` into the ConfigMap the CronJob
judges. ``adopt`` keeps a rollout of the same version that is already there and refuses one of
another version while that runs, which fails the job with the controller's message. Staging
gets no rollout: both environments' controllers would promote or archive the same version in
the Model Control Plane, and staging's images serve production's version only.
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
from mlopsgen.targets.kubernetes.rollout import BENTO_SOURCE
from mlopsgen.targets.kubernetes.views import Service, rollout_name, served_services

__all__ = ["IMAGE_ARTIFACT", "PROXY_PORT", "ROLLOUT_ARTIFACT", "deploy_workflow"]

IMAGE_ARTIFACT = "service-image"
#: The training run's rollout state, from the build job to the production job.
ROLLOUT_ARTIFACT = "rollout-state"
#: Where ``kubectl proxy`` listens (127.0.0.1 only) while the rollout is handed over.
PROXY_PORT = 8001
#: The environment whose cluster runs the training run's rollout (see the module docstring).
ROLLOUT_ENVIRONMENT = "production"
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

_KEEP_ROLLOUT = """\
mkdir -p "${RUNNER_TEMP}/rollout"
if [ -f .mlopsgen/rollout.json ]; then
  cp .mlopsgen/rollout.json "${RUNNER_TEMP}/rollout/rollout.json"
else
  printf '{"rollouts": {}}\\n' > "${RUNNER_TEMP}/rollout/rollout.json"
fi
"""

_ADOPT = """\
namespace="$(kubectl config view --minify --output 'jsonpath={..namespace}')"
kubectl proxy --address=127.0.0.1 --port="${PROXY_PORT}" &
proxy=$!
trap 'kill "${proxy}"' EXIT
for _ in $(seq 30); do
  if curl --silent --fail --output /dev/null "http://127.0.0.1:${PROXY_PORT}/version"; then
    break
  fi
  sleep 1
done
docker run --rm --network host \\
  --volume "${RUNNER_TEMP}/rollout:/handover:ro" \\
  --env MLOPSGEN_KUBERNETES_API="http://127.0.0.1:${PROXY_PORT}" \\
  --env MLOPSGEN_ROLLOUT_CONFIGMAP="${namespace:-default}/${CONFIGMAP}" \\
  --env ZENML_ANALYTICS_OPT_IN=false \\
  --workdir "${SOURCE}" \\
  "${IMAGE}:${GITHUB_SHA}" \\
  python -m pipelines.rollout adopt --from /handover/rollout.json
"""

_MANIFESTS = """\
cd deploy/overlays/cluster
kustomize edit set image "${IMAGE}=${REGISTRY}/${IMAGE}:${GITHUB_SHA}"
printf 'services_identity=%s\\n' "${SERVICES_IDENTITY}" > outputs.env
cd ../../..
kubectl apply -k deploy/overlays/cluster
kubectl rollout status "deployment/${IMAGE}" --timeout=20m
"""


def _keep_rollout() -> list[dict[str, Any]]:
    """The build job's steps that keep the training run's rollout state for production."""
    return [
        run("Keep the training run's rollout", _KEEP_ROLLOUT),
        {
            "name": "Keep the rollout for the production job",
            "uses": uses("actions/upload-artifact"),
            "with": {
                "name": ROLLOUT_ARTIFACT,
                "path": "${{ runner.temp }}/rollout/rollout.json",
                "retention-days": 1,
                "if-no-files-found": "error",
            },
        },
    ]


def _adopt_rollout(service: Service) -> list[dict[str, Any]]:
    """The production job's steps that write the training run's rollout to the ConfigMap."""
    return [
        {
            "name": "Fetch the training run's rollout",
            "uses": uses("actions/download-artifact"),
            "with": {"name": ROLLOUT_ARTIFACT, "path": "${{ runner.temp }}/rollout"},
        },
        run(
            "Hand the rollout to the cluster's controller",
            _ADOPT,
            env={
                "IMAGE": str(service.name),
                "CONFIGMAP": rollout_name(service),
                "SOURCE": BENTO_SOURCE,
                "PROXY_PORT": str(PROXY_PORT),
            },
        ),
    ]


def _build_job(image: str, rolls_out: bool) -> dict[str, Any]:
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
            *(_keep_rollout() if rolls_out else []),
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
    plan: Plan, environment: str, needs: str | None, service: Service | None
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
    if service is not None:
        image = str(service.name)
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
        if service.rolls_out and environment == ROLLOUT_ENVIRONMENT:
            steps += _adopt_rollout(service)
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
    service = services[0] if services and plan.models else None
    jobs: dict[str, Any] = {}
    previous = None
    if service is not None:
        jobs["build"] = _build_job(str(service.name), service.rolls_out)
        previous = "build"
    for environment in ENVIRONMENTS:
        jobs[environment] = _environment_job(plan, environment, previous, service)
        previous = environment
    return {
        "name": "Deploy",
        "on": {"push": {"branches": ["main"]}},
        "permissions": {},
        # one release at a time, in push order; a newer push waits rather than cancels
        "concurrency": {"group": "deploy", "cancel-in-progress": False},
        "jobs": jobs,
    }
