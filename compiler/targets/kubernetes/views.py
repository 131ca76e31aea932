"""The serving workload's Kubernetes objects, built as data from the Plan.

Every number comes from the Plan: the replica floor and the autoscaling bounds and behaviour
(``serving.hpa``), the disruption budget (``serving.pdb``), the resources of one replica and
its GPUs (``serving.replica``) and the zones to spread over (``infrastructure.zones``). The
objects are plain mappings that the target dumps with ``yaml_dump``; nothing is templated, so
no spec string can become YAML syntax.

The cluster's addresses (the image registry, the workload identity) exist only after
Terraform has run, so they are not written here: the overlay takes them from the Terraform
outputs at deploy time (a kustomize image override and a replacement from ``outputs.env``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.ir.serving import HpaBehavior, ScalingRules
from mlopsgen.plan.names import K8sName
from mlopsgen.targets.quantities import cpu_quantity

__all__ = [
    "BENTO_PORT",
    "IDENTITY_ANNOTATIONS",
    "ROLLOUT_KEY",
    "ROLLOUT_MOUNT",
    "Service",
    "manifests",
    "pod_security_context",
    "rollout_name",
    "rollout_object_name",
    "served_services",
]

#: Where the service's pods mount the rollout state (the ``<service>-rollout`` ConfigMap): a
#: directory, never a ``subPath``, so the kubelet's atomic updates reach the running pods.
ROLLOUT_MOUNT = "/etc/mlopsgen/rollout"
ROLLOUT_KEY = "rollout.json"
#: The longest name a CronJob may take (its Jobs append 11 characters to it).
CRONJOB_NAME_LENGTH = 52
#: Where BentoML listens, and its health endpoints (``bentoml serve`` defaults).
BENTO_PORT = 3000
LIVENESS_PATH = "/livez"
READINESS_PATH = "/readyz"
METRICS_PATH = "/metrics"
#: The unprivileged user the service runs as (any non-zero uid; the image needs no root).
RUN_AS_USER = 10001
GPU_RESOURCE = "nvidia.com/gpu"
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"

#: The ServiceAccount annotation that binds pods to the cloud identity of the
#: ``services_identity`` Terraform output (IRSA on EKS, Workload Identity on GKE).
IDENTITY_ANNOTATIONS = {
    "aws": "eks.amazonaws.com/role-arn",
    "gcp": "iam.gke.io/gcp-service-account",
}


@dataclass(frozen=True)
class Service:
    """One online service of the plan: its name, the models it serves and its sizing."""

    name: str
    models: tuple[str, ...]
    replicas: int
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    max_unavailable: int | None
    cpu: float
    memory_gib: int
    gpu: int
    zones: int
    behavior: HpaBehavior
    #: A language model's engine: running sequences per pod the HPA targets (else CPU).
    target_running_sequences: int | None = None
    #: How often the rollout controller runs, in minutes; 0 when the plan rolls nothing out
    #: step by step (``all_at_once``), so the service gets no rollout objects.
    rollout_check_minutes: int = 0

    @property
    def rolls_out(self) -> bool:
        """Whether a promoted version reaches this service step by step (a canary state)."""
        return self.rollout_check_minutes > 0


class _CronJobName(K8sName):
    """A Kubernetes name a CronJob can take: at most 52 characters."""

    max_length = CRONJOB_NAME_LENGTH


def rollout_object_name(service_name: str) -> str:
    """The name of a service's rollout objects (ConfigMap, CronJob, identity, Role):
    ``<service>-rollout``, cut and hashed to fit a CronJob's name."""
    name = f"{service_name}-rollout"
    return name if len(name) <= CRONJOB_NAME_LENGTH else str(_CronJobName.from_text(name))


def rollout_name(service: Service) -> str:
    """The name of ``service``'s rollout objects (see :func:`rollout_object_name`)."""
    return rollout_object_name(service.name)


def served_services(plan: Plan) -> list[Service]:
    """The services the plan serves online: one per real-time service with served models.

    A plan whose serving is batch only, or that serves none of its models, has no workload
    to deploy; the HPA's floor is the Deployment's replica count.
    """
    serving = plan.serving
    served = {m.name for m in plan.models if m.served}
    models = tuple(m for m in serving.models if m in served)
    if not serving.realtime or not models or serving.hpa is None:
        return []
    hpa = serving.hpa
    pdb = serving.pdb
    budget = pdb.max_unavailable if pdb is not None and pdb.enabled else None
    replica = serving.replica
    return [
        Service(
            name=serving.service_name,
            models=models,
            replicas=hpa.min_replicas,
            min_replicas=hpa.min_replicas,
            max_replicas=hpa.max_replicas,
            target_cpu_percent=hpa.target_cpu_percent,
            max_unavailable=budget,
            cpu=replica.cpu,
            memory_gib=replica.memory_gib,
            gpu=replica.gpu,
            zones=len(plan.infrastructure.zones),
            behavior=hpa.behavior,
            target_running_sequences=hpa.target_running_sequences,
            # a language stack's engine serves one merged model: nothing to roll out by step
            rollout_check_minutes=0
            if plan.language_models
            else plan.training.rollout.check_minutes,
        )
    ]


def _labels(plan: Plan, service: Service) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": service.name,
        "app.kubernetes.io/component": "serving",
        "app.kubernetes.io/part-of": plan.system.k8s_name,
    }


def _selector(service: Service) -> dict[str, str]:
    return {"app.kubernetes.io/name": service.name}


def _metadata(plan: Plan, service: Service) -> dict[str, Any]:
    return {
        "name": service.name,
        "labels": _labels(plan, service),
        "annotations": {"mlopsgen.dev/models": ",".join(service.models)},
    }


def _resources(service: Service) -> dict[str, Any]:
    requests: dict[str, Any] = {
        "cpu": cpu_quantity(service.cpu),
        "memory": f"{service.memory_gib}Gi",
    }
    limits: dict[str, Any] = {"memory": f"{service.memory_gib}Gi"}
    if service.gpu:
        requests[GPU_RESOURCE] = service.gpu
        limits[GPU_RESOURCE] = service.gpu
    return {"requests": requests, "limits": limits}


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def _spread(service: Service) -> list[dict[str, Any]]:
    """Across zones strictly when there are several (losing a zone keeps the SLO), across
    nodes as a preference."""
    selector = {"matchLabels": _selector(service)}
    zone_rule = "DoNotSchedule" if service.zones > 1 else "ScheduleAnyway"
    return [
        {
            "maxSkew": 1,
            "topologyKey": ZONE_KEY,
            "whenUnsatisfiable": zone_rule,
            "labelSelector": selector,
        },
        {
            "maxSkew": 1,
            "topologyKey": HOST_KEY,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": selector,
        },
    ]


def pod_security_context() -> dict[str, Any]:
    """Every pod of a stack runs as the same non-root user and group, with the runtime's
    default seccomp profile: the service's and its rollout controller's alike."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def deployment(plan: Plan, service: Service) -> dict[str, Any]:
    """The service's pods: the replica floor, sized, spread, probed and unprivileged."""
    container: dict[str, Any] = {
        "name": "service",
        "image": service.name,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": BENTO_PORT, "protocol": "TCP"}],
        "env": [
            {"name": "BENTOML_DO_NOT_TRACK", "value": "True"},
            # prediction lines to stdout, where the cluster's log collector ships them
            {"name": "MLOPSGEN_PREDICTION_LOG", "value": "-"},
        ],
        "resources": _resources(service),
        "startupProbe": _probe(READINESS_PATH, 5, 60),
        "livenessProbe": _probe(LIVENESS_PATH, 10, 3),
        "readinessProbe": _probe(READINESS_PATH, 5, 3),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
        },
    }
    pod: dict[str, Any] = {
        "serviceAccountName": service.name,
        "automountServiceAccountToken": True,
        "securityContext": pod_security_context(),
        "topologySpreadConstraints": _spread(service),
        "containers": [container],
    }
    if service.gpu:
        pod["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    if service.rolls_out:
        _mount_rollout_state(service, container, pod)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(plan, service),
        "spec": {
            "replicas": service.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": _selector(service)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {"labels": _labels(plan, service)},
                "spec": pod,
            },
        },
    }


def _mount_rollout_state(service: Service, container: dict[str, Any], pod: dict[str, Any]) -> None:
    """The rollout state the controller writes, read by the service at ``MLOPSGEN_ROLLOUT_STATE``.

    The ConfigMap is optional: pods start before any rollout (the file is then absent, which
    the service reads as no rollout), and the kustomization never lists it, so an apply never
    overwrites the live state. The kubelet swaps the mounted directory's content atomically.
    """
    container["env"].append(
        {"name": "MLOPSGEN_ROLLOUT_STATE", "value": f"{ROLLOUT_MOUNT}/{ROLLOUT_KEY}"}
    )
    container["volumeMounts"] = [
        {"name": "rollout-state", "mountPath": ROLLOUT_MOUNT, "readOnly": True}
    ]
    pod["volumes"] = [
        {
            "name": "rollout-state",
            "configMap": {"name": rollout_name(service), "optional": True},
        }
    ]


def service_object(plan: Plan, service: Service) -> dict[str, Any]:
    """A ClusterIP Service in front of the pods, on port 80."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(plan, service),
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(service),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _rules(rules: ScalingRules) -> dict[str, Any]:
    return {
        "stabilizationWindowSeconds": rules.stabilization_window_seconds,
        "selectPolicy": rules.select_policy,
        "policies": [
            {"type": p.type, "value": p.value, "periodSeconds": p.period_seconds}
            for p in rules.policies
        ],
    }


#: The gauge a language service exports of the requests its engine is running; the HPA reads
#: it per pod through the Prometheus adapter (``deploy/monitoring/``).
RUNNING_SEQUENCES = "mlopsgen_llm_requests_running"


def _scaling_metric(service: Service) -> dict[str, Any]:
    """CPU utilisation for a classic service; running sequences per pod for an engine."""
    if service.target_running_sequences is not None:
        return {
            "type": "Pods",
            "pods": {
                "metric": {"name": RUNNING_SEQUENCES},
                "target": {
                    "type": "AverageValue",
                    "averageValue": str(service.target_running_sequences),
                },
            },
        }
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": service.target_cpu_percent},
        },
    }


def autoscaler(plan: Plan, service: Service) -> dict[str, Any]:
    """The HorizontalPodAutoscaler: the plan's bounds, CPU target and explicit behaviour."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(plan, service),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
            "minReplicas": service.min_replicas,
            "maxReplicas": service.max_replicas,
            "metrics": [_scaling_metric(service)],
            "behavior": {
                "scaleUp": _rules(service.behavior.scale_up),
                "scaleDown": _rules(service.behavior.scale_down),
            },
        },
    }


def disruption_budget(plan: Plan, service: Service) -> dict[str, Any] | None:
    """At most the plan's number of pods down for voluntary disruptions, when it plans one."""
    if service.max_unavailable is None:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(plan, service),
        "spec": {
            "maxUnavailable": service.max_unavailable,
            "selector": {"matchLabels": _selector(service)},
        },
    }


def service_account(plan: Plan, service: Service) -> dict[str, Any]:
    """The pods' identity; the overlay annotates it with the ``services_identity`` output."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(plan, service),
    }


#: How often Prometheus scrapes a service: the shortest alert window (5 minutes) holds ten.
SCRAPE_INTERVAL = "30s"
SCRAPE_TIMEOUT = "10s"


def service_monitor(plan: Plan, service: Service) -> dict[str, Any]:
    """The Prometheus Operator's scrape of the Service's ``/metrics`` (port ``http``).

    Kept out of the base (``deploy/monitoring/``): a cluster without the operator's custom
    resources would refuse the whole base for one unknown kind.
    """
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _metadata(plan, service),
        "spec": {
            "selector": {"matchLabels": _selector(service)},
            "endpoints": [
                {
                    "port": "http",
                    "path": METRICS_PATH,
                    "interval": SCRAPE_INTERVAL,
                    "scrapeTimeout": SCRAPE_TIMEOUT,
                }
            ],
        },
    }


def manifests(plan: Plan, service: Service) -> dict[str, dict[str, Any]]:
    """Each object of one service, keyed by its file name in ``deploy/base/<service>/``."""
    objects: dict[str, dict[str, Any] | None] = {
        "serviceaccount.yaml": service_account(plan, service),
        "deployment.yaml": deployment(plan, service),
        "service.yaml": service_object(plan, service),
        "hpa.yaml": autoscaler(plan, service),
        "pdb.yaml": disruption_budget(plan, service),
    }
    return {name: obj for name, obj in objects.items() if obj is not None}
