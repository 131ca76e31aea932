"""The stack README's "Run on a Kubernetes cluster" section: what a user runs, in order.

Commands are shown in fenced ``bash`` blocks; every value placed in them is a shell word
(:func:`~mlopsgen.render.filters.shell_quote`) so a copied command does what it shows, and
values in prose are escaped for Markdown.
"""

from __future__ import annotations

from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.filters import markdown_code, markdown_text, shell_quote
from mlopsgen.targets.zenml.cluster_views import (
    CONFIG_DIR,
    DOCKERFILE,
    cloud_components,
    pipeline_config_path,
    service_account,
    trainable_models,
)

__all__ = ["SECTION_HEADING", "cluster_section"]

SECTION_HEADING = "Run on a Kubernetes cluster"


def _fence(*lines: str) -> str:
    return "\n".join(("```bash", *lines, "```"))


def _infrastructure(plan: Plan) -> str:
    if plan.infrastructure.cloud == "local":
        return (
            "This spec has no cloud infrastructure, so there are no Terraform outputs: on a "
            "cluster of your own, set `MLOPSGEN_ZENML_SERVER_URL`, `MLOPSGEN_REGISTRY_URL`, "
            "`MLOPSGEN_ARTIFACT_BUCKET` (an S3-compatible bucket such as MinIO), "
            "`MLOPSGEN_PIPELINES_IDENTITY` (empty for none) and `MLOPSGEN_KUBECONFIG_COMMAND` "
            "(`true` when `kubectl` already points at the cluster) before step 2; the script "
            "reads them instead of `terraform output`."
        )
    return (
        "The cluster, registry, bucket, identities and ZenML server come from `infra/`: "
        "apply it first (see its section). The script below reads their names with "
        "`terraform -chdir=infra output -raw NAME`; a variable `MLOPSGEN_<NAME>` overrides one."
    )


def _runs(plan: Plan) -> list[str]:
    rows = []
    for model in trainable_models(plan):
        rows.append(
            "python -m pipelines.run --pipeline "
            + shell_quote(f"train_{model.name}")
            + " --config "
            + shell_quote(pipeline_config_path(model))
        )
    return rows


def _fine_tuning_gpus(model: ModelPlan) -> str:
    """Where a language model's GPU steps run: the plan's fine-tuning GPUs, or none."""
    llm = model.llm
    pipeline = markdown_code(f"train_{model.name}")
    if llm is None or not llm.fine_tuning_gpus:
        return f"{pipeline} runs every step on CPU: the plan fine-tunes no GPU for it."
    return (
        f"The `fine_tune` and `evaluate` steps of {pipeline} each ask for "
        f"{llm.fine_tuning_gpus} GPU (`nvidia.com/gpu`, the plan's fine-tuning GPUs, "
        f"{markdown_text(llm.fine_tuning_gpu_class or '')}) and tolerate the GPU taint: "
        "they land on the plan's GPU training pool when it has one, else on any GPU node with a "
        "free device."
    )


def cluster_section(plan: Plan) -> str:
    """The section's Markdown body (without its heading)."""
    components = cloud_components(plan)
    namespace = shell_quote(plan.system.k8s_name)
    integrations = " ".join(shell_quote(name) for name in components.integrations)
    models = trainable_models(plan)
    if not models:
        return "This spec has no trainable model, so there is no training pipeline to run."
    parts = [
        "The same pipelines run on a Kubernetes cluster by switching the ZenML stack. "
        "Steps run as pods sized by the plan (CPU, memory and GPUs per step, on the training "
        "pool); images are built on the cluster by Kaniko from "
        + markdown_code(DOCKERFILE)
        + ", so no local Docker is needed.",
        "1. Prerequisites. " + _infrastructure(plan) + " Install the stack and the ZenML "
        "integrations on your machine, with `kubectl` (and `terraform`, for the outputs) on "
        "the `PATH`:",
        _fence(
            "pip install -c constraints.txt .", f"zenml integration install --yes {integrations}"
        ),
        "2. Register the ZenML stack (orchestrator, artifact store, container registry, Kaniko "
        "image builder) against the ZenML server, create the pipelines' service account "
        + markdown_code(service_account(plan))
        + " in the namespace "
        + markdown_code(plan.system.k8s_name)
        + " and make the stack active. It is safe to run again:",
        _fence(f"bash {CONFIG_DIR}/register_kubernetes_stack.sh"),
        "3. Schedule each training pipeline, from the stack root. Each run config holds the "
        "pipeline's cron schedule (the Kubernetes orchestrator creates a CronJob for it) and "
        "each step's pod resources; "
        + markdown_code(f"{CONFIG_DIR}/kubernetes.yaml")
        + " holds what every pipeline shares:",
        _fence(*_runs(plan)),
        "4. Run a pipeline now instead of waiting for its schedule: start a job from its "
        "CronJob (ZenML prints the CronJob's name when it creates it), then follow it:",
        _fence(
            f"kubectl --namespace {namespace} get cronjobs",
            f"kubectl --namespace {namespace} create job --from=cronjob/CRONJOB_NAME first-run",
            "zenml pipeline runs list",
        ),
        "The Kubernetes orchestrator reads pod resources from these run configs only: ZenML's "
        "step `ResourceSettings` are ignored on Kubernetes. Schedules run in "
        + markdown_text(plan.training.timezone)
        + ".",
    ]
    parts += [_fine_tuning_gpus(model) for model in models if model.llm is not None]
    return "\n\n".join(parts) + "\n"
