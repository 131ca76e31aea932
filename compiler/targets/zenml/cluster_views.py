"""What the cluster path of the pipelines holds, read off the Plan as plain data.

The ZenML run configurations are data dumped with :func:`~mlopsgen.targets.dumps.yaml_dump`,
so they are built here as dicts: per step, the Kubernetes pod settings (requests and limits
from the plan's step resources, node selectors and tolerations from its training pools),
the Docker settings that let the cluster build the pipeline image (no local Docker), and the
schedule from the plan's cron. The Kubernetes orchestrator ignores ZenML's step
``ResourceSettings`` and silently drops settings keys it does not know, so resources go in
``KubernetesPodSettings`` only, with exactly the key names ZenML's classes declare (a
functional test builds every one of them through those classes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from mlopsgen.plan.ir.data import ModelPlan, StepPlan
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.ir.ops import NodePool
from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.quantities import cpu_quantity, memory_quantity
from mlopsgen.targets.zenml.language import STEP_NAMES as LANGUAGE_STEPS

__all__ = [
    "CONFIG_DIR",
    "DOCKERFILE",
    "DOCKERIGNORE",
    "GPU_RESOURCE",
    "NODE_POOL_LABEL",
    "CloudComponents",
    "base_config",
    "cloud_components",
    "image_packages",
    "language_step_resources",
    "pipeline_config",
    "pipeline_config_path",
    "service_account",
    "step_resources",
    "torch_index",
    "trainable_models",
]

#: Where the run configurations live in the stack (``python -m pipelines.run --config``).
CONFIG_DIR = "pipelines/configs"
DOCKERFILE = "pipelines/Dockerfile"
DOCKERIGNORE = "pipelines/.dockerignore"

#: The node label every pool carries with its name (set by the Terraform node pools).
NODE_POOL_LABEL = "mlopsgen.io/pool"
#: The extended resource the NVIDIA device plugin advertises, and the taint GPU pools carry.
GPU_RESOURCE = "nvidia.com/gpu"

#: ``check_leakage`` is not sized by the planner: it reads what ``validate`` reads.
_SIZED_LIKE = {"check_leakage": "validate"}
#: A language model's fine-tuning steps, each sized like the planned step it does the work
#: of; ``fine_tune`` and ``evaluate`` also take the plan's fine-tuning GPUs.
_LANGUAGE_SIZED_LIKE = {
    "ingest": "ingest",
    "prepare_base": "ingest",
    "validate": "validate",
    "fine_tune": "train",
    "evaluate": "evaluate",
    "register": "register",
}
#: Host memory a step that loads the base model keeps beside its weights (GiB).
_LOADING_HEADROOM_GIB = 2

#: Packages the pipeline image needs on a cluster beyond the stack's own pins: ZenML's
#: Kubernetes orchestrator client (ZenML asks for ``kubernetes<26``) and the artifact
#: store's filesystem. s3fs releases track fsspec's; 2026.9.0 matches the stack lock.
_KUBERNETES_CLIENT = "kubernetes==25.3.0"
_FILESYSTEMS = {"aws": "s3fs==2026.9.0", "gcp": "gcsfs==2026.10.1", "local": "s3fs==2026.9.0"}

#: PyTorch's CPU wheels: the default index serves a CUDA build of about 3 GB on Linux.
_TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@dataclass(frozen=True)
class CloudComponents:
    """ZenML flavors of the remote components for one cloud, and how identities bind.

    Attributes:
        artifact_store: artifact store flavor (``s3`` also serves MinIO on a local cluster).
        artifact_scheme: URI scheme of the bucket the Terraform output names.
        container_registry: container registry flavor.
        integrations: ZenML integrations the client machine installs to register them.
        identity_annotation: service-account annotation binding the cloud identity the
            Terraform output ``pipelines_identity`` names; empty where there is none.
    """

    artifact_store: str
    artifact_scheme: str
    container_registry: str
    integrations: tuple[str, ...]
    identity_annotation: str


_CLOUDS = {
    "aws": CloudComponents(
        "s3", "s3://", "aws", ("kubernetes", "kaniko", "s3", "aws"), "eks.amazonaws.com/role-arn"
    ),
    "gcp": CloudComponents(
        "gcp", "gs://", "gcp", ("kubernetes", "kaniko", "gcp"), "iam.gke.io/gcp-service-account"
    ),
    "local": CloudComponents("s3", "s3://", "default", ("kubernetes", "kaniko", "s3"), ""),
}


def cloud_components(plan: Plan) -> CloudComponents:
    """The remote components for the plan's cloud (a local cluster uses S3-compatible storage)."""
    return _CLOUDS[plan.infrastructure.cloud]


def trainable_models(plan: Plan) -> tuple[ModelPlan, ...]:
    """The models that get a ``train_<model>`` pipeline, in plan order."""
    return tuple(model for model in plan.models if model.trainable)


def pipeline_config_path(model: ModelPlan) -> str:
    """The run configuration of ``train_<model>`` (one per pipeline: step sizes differ)."""
    return f"{CONFIG_DIR}/kubernetes/train_{model.name}.yaml"


def service_account(plan: Plan) -> str:
    """The pipelines' Kubernetes service account, bound to ``pipelines_identity``."""
    return f"{plan.system.k8s_name}-pipelines"


def language_step_resources(model: ModelPlan, llm: LlmPlan) -> dict[str, StepPlan]:
    """Each step of a language model's fine-tuning pipeline with its resources.

    Every step takes the planned resources of the step it does the work of; the two that run
    the model (``fine_tune``, ``evaluate``) ask for the plan's fine-tuning GPUs
    (``llm.fine_tuning_gpus`` of ``llm.fine_tuning_gpu_class``) and for host memory that holds
    the weights while they load (⌈weights GiB⌉ + 2 GiB), and the step loading the base model
    (``prepare_base``) for that memory too.
    """
    by_name = {step.name: step for step in model.steps}
    loading = math.ceil(llm.weights_gib) + _LOADING_HEADROOM_GIB
    gpus = llm.fine_tuning_gpus or 0
    sized: dict[str, StepPlan] = {}
    for name in LANGUAGE_STEPS:
        like = by_name[_LANGUAGE_SIZED_LIKE[name]]
        step = replace(like, name=name)
        if name in ("prepare_base", "fine_tune", "evaluate"):
            step = replace(step, memory_gib=max(step.memory_gib, loading))
        if name in ("fine_tune", "evaluate"):
            step = replace(step, gpu=gpus)
        sized[name] = step
    return sized


def step_resources(model: ModelPlan) -> dict[str, StepPlan]:
    """Each step the pipeline runs, by name, with the plan's resources for it."""
    if model.llm is not None:
        return language_step_resources(model, model.llm)
    by_name = {step.name: step for step in model.steps}
    sized: dict[str, StepPlan] = {}
    for step in model.steps:
        sized[step.name] = step
        for name, like in _SIZED_LIKE.items():
            if like == step.name:
                sized[name] = replace(by_name[like], name=name)
    return sized


def _training_pool(plan: Plan, gpu: bool) -> NodePool | None:
    """The pool a training step lands on: a GPU training pool for GPU steps, else the CPU one."""
    pools = [pool for pool in plan.compute.pools if pool.role.endswith("training")]
    chosen = [pool for pool in pools if (pool.gpus > 0) == gpu]
    return chosen[0] if chosen else None


def _toleration(taint: str) -> dict[str, str]:
    """A toleration for one ``key=value:Effect`` taint (the plan's form)."""
    head, _, effect = taint.rpartition(":")
    key, equals, value = head.partition("=")
    if not equals:
        return {"key": key, "operator": "Exists", "effect": effect}
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


def _placement(plan: Plan, gpu: bool) -> dict[str, Any]:
    """Node selectors and tolerations of the pool a step lands on."""
    pool = _training_pool(plan, gpu)
    placement: dict[str, Any] = {}
    tolerations = [_toleration(taint) for taint in pool.taints] if pool else []
    if gpu and not any(t["key"] == GPU_RESOURCE for t in tolerations):
        # GPU nodes carry the device plugin's taint whether or not the plan names it.
        tolerations.append({"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"})
    if pool is not None:
        placement["node_selectors"] = {NODE_POOL_LABEL: pool.name}
    if tolerations:
        placement["tolerations"] = tolerations
    return placement


def _pod_settings(plan: Plan, step: StepPlan) -> dict[str, Any]:
    """``KubernetesPodSettings`` for one step: placement, then requests and limits.

    Memory is limited at its request (a pod over it is killed rather than starving its
    neighbours); CPU is not limited (throttling slows training without protecting anyone);
    GPUs are extended resources, whose request must equal their limit.
    """
    requests = {"cpu": cpu_quantity(step.cpu), "memory": memory_quantity(step.memory_gib)}
    limits = {"memory": requests["memory"]}
    if step.gpu:
        requests[GPU_RESOURCE] = str(step.gpu)
        limits[GPU_RESOURCE] = str(step.gpu)
    return {**_placement(plan, step.gpu > 0), "resources": {"requests": requests, "limits": limits}}


def _pipeline_settings(plan: Plan) -> dict[str, Any]:
    """Settings every step shares: how the image is built, and the orchestrator's defaults."""
    account = service_account(plan)
    docker = {
        # The cluster's image builder (Kaniko) builds this Dockerfile and ZenML uses the image
        # as is: no requirements of its own, code downloaded from the artifact store at run
        # time, so nothing is built or installed on the client machine.
        "dockerfile": DOCKERFILE,
        "build_context_root": ".",
        "parent_image_build_config": {"dockerignore": DOCKERIGNORE},
        "install_stack_requirements": False,
        "allow_including_files_in_images": False,
    }
    orchestrator: dict[str, Any] = {
        "service_account_name": account,
        "step_pod_service_account_name": account,
        # A scheduled run never overlaps the previous one: both would write one model version.
        "concurrency_policy": "Forbid",
    }
    placement = _placement(plan, gpu=False)
    if placement:
        orchestrator["pod_settings"] = placement
    return {"docker": docker, "orchestrator.kubernetes": orchestrator}


def base_config(plan: Plan) -> dict[str, Any]:
    """The stack-wide run configuration: image, placement on the training pool and schedule."""
    return {
        "settings": _pipeline_settings(plan),
        "schedule": {"cron_expression": plan.training.cron},
    }


def pipeline_config(plan: Plan, model: ModelPlan) -> dict[str, Any]:
    """The run configuration of ``train_<model>``: the base plus each step's pod settings."""
    cron = next((m.cron for m in plan.training.models if m.name == model.name), None)
    steps = {
        name: {"settings": {"orchestrator.kubernetes": {"pod_settings": _pod_settings(plan, step)}}}
        for name, step in step_resources(model).items()
    }
    return {
        "settings": _pipeline_settings(plan),
        "schedule": {"cron_expression": cron or plan.training.cron},
        "steps": steps,
    }


def torch_index(plan: Plan) -> str:
    """The extra index the image installs PyTorch from; empty for the default (CUDA) build.

    A stack whose steps use GPUs needs the CUDA build PyPI serves; a CPU-only stack that uses
    PyTorch takes the CPU wheels instead, about 3 GB smaller.
    """
    models = trainable_models(plan)
    uses_torch = any(model.framework in ("pytorch", "transformers") for model in models)
    uses_gpu = any(step.gpu for model in models for step in step_resources(model).values())
    return _TORCH_CPU_INDEX if uses_torch and not uses_gpu else ""


def image_packages(plan: Plan) -> tuple[str, ...]:
    """What the image adds to the stack's pins to run on the cluster (pinned)."""
    return (_KUBERNETES_CLIENT, _FILESYSTEMS[plan.infrastructure.cloud])
