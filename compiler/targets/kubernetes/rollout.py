"""The rollout controller on the cluster: a CronJob and the narrow identity it acts with.

A stack that rolls promoted versions out step by step keeps its rollout state in a ConfigMap,
``<service>-rollout`` (key ``rollout.json``): the service's pods mount it (see
:func:`mlopsgen.targets.kubernetes.views.deployment`) and a CronJob of the same name runs
``python -m pipelines.rollout step --scheduled`` every ``training.rollout.check_minutes``
(a planned decision), which loads and saves that ConfigMap through the Kubernetes API
(``MLOPSGEN_ROLLOUT_CONFIGMAP``). The ConfigMap itself is never a manifest: the controller
creates it on its first save, so ``kubectl apply -k`` never resets a live rollout.

The CronJob runs the service's image: it is the image the overlay names (CD's one
``kustomize edit set image`` pins the Deployment and the CronJob to the same build, so the
controller that writes the state and the service that reads it are the same code), and it
holds ``pipelines/`` and ``plan.json``; the pipeline image ZenML builds holds no code (it
downloads it from the artifact store) and has no name a kustomization could set. Its Role may
read and update only that ConfigMap (``resourceNames``) and create ConfigMaps (``create``
cannot be limited by name). Canary rows and errors come from Prometheus (``PROMETHEUS_URL``:
the kube-prometheus-stack the platform stage installs), summed over every replica; ZenML's
server address and API key come from an optional Secret, for promoting or archiving the
candidate in the Model Control Plane. Live quality comes from the outcome table in the offline
store (``MLOPSGEN_OUTCOMES_URI``: ``<features.offline_location>/outcomes/outcomes.parquet``,
where outcome ingestion writes when run with the same variable), read with pyarrow's S3 or
GCS filesystem and the pod's cloud credentials: a table not written yet counts as no
outcomes (reported, never a breach); one the pod may not read fails the run, so the step holds
and the failed Job says why.
"""

from __future__ import annotations

from typing import Any

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.kubernetes.views import Service, pod_security_context, rollout_name
from mlopsgen.targets.terraform.views import MONITORING

__all__ = [
    "BENTO_SOURCE",
    "PROMETHEUS_URL",
    "ZENML_SECRET",
    "outcomes_uri",
    "rollout_cron",
    "rollout_manifests",
]

#: Where the service image (``bentoml containerize``) holds the Bento's files: the stack's
#: ``pipelines/``, ``services/`` and ``plan.json``. The controller runs from there.
BENTO_SOURCE = "/home/bentoml/bento/src"
#: The Prometheus of the platform stage's kube-prometheus-stack release (its chart names the
#: Service ``<release>-prometheus``, on port 9090).
PROMETHEUS_URL = f"http://{MONITORING['release']}-prometheus.{MONITORING['namespace']}.svc:9090"
#: The Secret holding the ZenML server's address (``url``) and a service account's API key
#: (``api-key``); optional, so the CronJob's pods start without it (and then cannot promote).
ZENML_SECRET = "zenml-store"
#: The controller's pod: one Python process importing pandas and ZenML's client.
CPU_REQUEST = "100m"
MEMORY = "1Gi"
#: Writable scratch for ZenML's configuration (the root filesystem is read-only).
SCRATCH = "/tmp"
SCRATCH_LIMIT = "256Mi"
#: The outcome table under the offline store's location (see the module docstring).
OUTCOMES_OBJECT = "outcomes/outcomes.parquet"
#: Finished Jobs kept for ``kubectl logs``: the last success, and the last few failures.
SUCCESSFUL_JOBS = 1
FAILED_JOBS = 3


def rollout_cron(service: Service) -> str:
    """The CronJob's schedule: every ``training.rollout.check_minutes`` (1 to 5, each of which
    divides an hour, so the runs are evenly spaced)."""
    return f"*/{service.rollout_check_minutes} * * * *"


def outcomes_uri(plan: Plan) -> str | None:
    """The outcome table in the offline store (None when the store is not in a cloud bucket,
    where the CronJob's pods could not reach it)."""
    location = plan.features.offline_location
    if not location.startswith(("s3://", "gs://")):
        return None
    return f"{location.rstrip('/')}/{OUTCOMES_OBJECT}"


def _labels(plan: Plan, service: Service) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": rollout_name(service),
        "app.kubernetes.io/component": "rollout",
        "app.kubernetes.io/part-of": plan.system.k8s_name,
    }


def _metadata(plan: Plan, service: Service) -> dict[str, Any]:
    return {
        "name": rollout_name(service),
        "labels": _labels(plan, service),
        "annotations": {"mlopsgen.dev/service": service.name},
    }


def _secret_env(name: str, key: str) -> dict[str, Any]:
    return {
        "name": name,
        "valueFrom": {"secretKeyRef": {"name": ZENML_SECRET, "key": key, "optional": True}},
    }


def _container(plan: Plan, service: Service) -> dict[str, Any]:
    outcomes = outcomes_uri(plan)
    return {
        "name": "controller",
        "image": service.name,
        "imagePullPolicy": "IfNotPresent",
        # the image's entrypoint activates the Bento's environment, then runs these
        "args": ["python", "-m", "pipelines.rollout", "step", "--scheduled"],
        "workingDir": BENTO_SOURCE,
        "env": [
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
            },
            {
                "name": "MLOPSGEN_ROLLOUT_CONFIGMAP",
                "value": f"$(POD_NAMESPACE)/{rollout_name(service)}",
            },
            {"name": "PROMETHEUS_URL", "value": PROMETHEUS_URL},
            *([] if outcomes is None else [{"name": "MLOPSGEN_OUTCOMES_URI", "value": outcomes}]),
            _secret_env("ZENML_STORE_URL", "url"),
            _secret_env("ZENML_STORE_API_KEY", "api-key"),
            {"name": "ZENML_CONFIG_PATH", "value": f"{SCRATCH}/zenml"},
            {"name": "ZENML_ANALYTICS_OPT_IN", "value": "false"},
            {"name": "HOME", "value": SCRATCH},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        ],
        "resources": {
            "requests": {"cpu": CPU_REQUEST, "memory": MEMORY},
            "limits": {"memory": MEMORY},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        },
        "volumeMounts": [{"name": "scratch", "mountPath": SCRATCH}],
    }


def cronjob(plan: Plan, service: Service) -> dict[str, Any]:
    """``python -m pipelines.rollout step --scheduled`` every planned check, one at a time."""
    seconds = service.rollout_check_minutes * 60
    pod = {
        "serviceAccountName": rollout_name(service),
        "automountServiceAccountToken": True,
        "restartPolicy": "Never",
        "securityContext": pod_security_context(),
        "containers": [_container(plan, service)],
        "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": SCRATCH_LIMIT}}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(plan, service),
        "spec": {
            "schedule": rollout_cron(service),
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            # a missed run is not made up later: the next one judges the step anew
            "startingDeadlineSeconds": seconds,
            "successfulJobsHistoryLimit": SUCCESSFUL_JOBS,
            "failedJobsHistoryLimit": FAILED_JOBS,
            "jobTemplate": {
                "metadata": {"labels": _labels(plan, service)},
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": seconds,
                    "template": {"metadata": {"labels": _labels(plan, service)}, "spec": pod},
                },
            },
        },
    }


def service_account(plan: Plan, service: Service) -> dict[str, Any]:
    """The controller's identity: no cloud role, only the Role below."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(plan, service)}


def role(plan: Plan, service: Service) -> dict[str, Any]:
    """Read and replace the one state ConfigMap; create it on the first save."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _metadata(plan, service),
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": [rollout_name(service)],
                "verbs": ["get", "update", "patch"],
            },
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]},
        ],
    }


def role_binding(plan: Plan, service: Service) -> dict[str, Any]:
    """The Role, granted to the controller's ServiceAccount."""
    name = rollout_name(service)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _metadata(plan, service),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name}],
    }


def rollout_manifests(plan: Plan, service: Service) -> dict[str, dict[str, Any]]:
    """The controller's objects, keyed by file name (none when the service rolls nothing out)."""
    if not service.rolls_out:
        return {}
    return {
        "rollout-serviceaccount.yaml": service_account(plan, service),
        "rollout-role.yaml": role(plan, service),
        "rollout-rolebinding.yaml": role_binding(plan, service),
        "rollout-cronjob.yaml": cronjob(plan, service),
    }
