"""The ``zenml-cluster`` target: the same training pipelines, run on a Kubernetes cluster.

The local target runs the pipelines on ZenML's default stack; this one adds what switching
to a Kubernetes stack takes, and nothing else (the pipeline code is the same):

* ``pipelines/configs/kubernetes.yaml``: the stack-wide run configuration (how the cluster
  builds the image, where pods land, the training schedule);
* ``pipelines/configs/kubernetes/train_<model>.yaml``: one per training pipeline, adding each
  step's pod resources (a YAML run configuration addresses steps by name only, and the same
  step names carry different sizes in each model's pipeline);
* ``pipelines/configs/register_kubernetes_stack.sh``: registers the ZenML stack against the
  ZenML server from the Terraform outputs;
* ``pipelines/Dockerfile`` and its ``.dockerignore``: the pipeline image.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import render_file
from mlopsgen.render.filters import comment_text
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.dumps import yaml_dump
from mlopsgen.targets.zenml.cluster_readme import SECTION_HEADING, cluster_section
from mlopsgen.targets.zenml.cluster_views import (
    CONFIG_DIR,
    DOCKERFILE,
    DOCKERIGNORE,
    base_config,
    cloud_components,
    image_packages,
    pipeline_config,
    pipeline_config_path,
    service_account,
    torch_index,
    trainable_models,
)

__all__ = ["REGISTER_SCRIPT", "RUN_CONFIG", "ClusterTarget"]

RUN_CONFIG = f"{CONFIG_DIR}/kubernetes.yaml"
REGISTER_SCRIPT = f"{CONFIG_DIR}/register_kubernetes_stack.sh"
_TEMPLATES = "zenml-cluster"


def _header(plan: Plan) -> str:
    return generated_header("#", __version__, plan.system.spec_sha256).rstrip("\n")


def _yaml(plan: Plan, what: str, data: object) -> str:
    """A run configuration: the provenance header, one comment line, then the dumped data."""
    return f"{_header(plan)}\n# {comment_text(what)}\n{yaml_dump(data)}"


@dataclass(frozen=True)
class ClusterTarget:
    """Run configurations, registration script and image for a Kubernetes ZenML stack."""

    name: str = "zenml-cluster"

    def render(self, plan: Plan) -> Rendered:
        """Every file of the cluster path, with its purpose and the README section."""
        files = {
            RUN_CONFIG: _yaml(
                plan,
                "ZenML run configuration shared by every pipeline on the Kubernetes stack.",
                base_config(plan),
            ),
            REGISTER_SCRIPT: render_file(
                REGISTER_SCRIPT,
                f"{_TEMPLATES}/{REGISTER_SCRIPT}.j2",
                header=_header(plan),
                stack=plan.system.k8s_name,
                namespace=plan.system.k8s_name,
                service_account=service_account(plan),
                components=cloud_components(plan),
            ),
            DOCKERFILE: render_file(
                DOCKERFILE,
                f"{_TEMPLATES}/{DOCKERFILE}.j2",
                header=_header(plan),
                torch_index=torch_index(plan),
                packages=image_packages(plan),
            ),
            DOCKERIGNORE: render_file(
                DOCKERIGNORE, f"{_TEMPLATES}/{DOCKERIGNORE}.j2", header=_header(plan)
            ),
        }
        purposes = {
            RUN_CONFIG: "cluster run config shared by every pipeline: image build, pod "
            "placement, schedule",
            REGISTER_SCRIPT: "registers the Kubernetes ZenML stack (orchestrator, artifact "
            "store, registry, Kaniko) from the Terraform outputs",
            DOCKERFILE: "the pipeline image, built on the cluster by Kaniko",
            DOCKERIGNORE: "keeps the pipeline image's build context to the files it copies",
        }
        for model in trainable_models(plan):
            path = pipeline_config_path(model)
            files[path] = _yaml(
                plan,
                f"ZenML run configuration of train_{model.name} on the Kubernetes stack.",
                pipeline_config(plan, model),
            )
            purposes[path] = f"cluster run config of train_{model.name}: per-step pod resources"
        return Rendered(files, purposes, sections={SECTION_HEADING: cluster_section(plan)})
