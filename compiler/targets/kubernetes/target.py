"""The Kubernetes target: each online service's workload as kustomize manifests in ``deploy/``.

``deploy/base/<service>/`` holds the objects (dumped from data with ``yaml_dump``, never
templated), ``deploy/base/kustomization.yaml`` lists them and ``deploy/overlays/cluster/`` is
what CD applies with the cluster's addresses from the Terraform outputs. Terraform never owns
these objects: the HPA owns the replica count, and a Terraform-managed Deployment would be
scaled back on every apply. A plan with no online service gets a README section saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import render_file
from mlopsgen.render.filters_markup import markdown_code
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.dumps import yaml_dump
from mlopsgen.targets.kubernetes.kustomize import base_kustomization, overlay_kustomization
from mlopsgen.targets.kubernetes.rollout import ZENML_SECRET, rollout_manifests
from mlopsgen.targets.kubernetes.views import (
    IDENTITY_ANNOTATIONS,
    RUNNING_SEQUENCES,
    Service,
    manifests,
    rollout_name,
    served_services,
    service_monitor,
)
from mlopsgen.targets.quantities import cpu_quantity

__all__ = ["SECTION", "KubernetesTarget"]

SECTION = "Serving on Kubernetes"
BASE = "deploy/base"
OVERLAY = "deploy/overlays/cluster"
MONITORING = "deploy/monitoring"
#: Values for the prometheus-adapter Helm chart, beside the ServiceMonitors (not applied).
ADAPTER_RULES = "prometheus-adapter-rules.yaml"

_PURPOSES = {
    "serviceaccount.yaml": "the {name} pods' identity (annotated with the services identity)",
    "deployment.yaml": "the {name} pods: replica floor, resources, probes, zone spread",
    "service.yaml": "the {name} ClusterIP Service on port 80",
    "hpa.yaml": "the {name} autoscaler: the plan's bounds, scaling target and behaviour",
    "pdb.yaml": "the {name} disruption budget: at most one pod down at a time",
    "rollout-serviceaccount.yaml": "the {name} rollout controller's identity",
    "rollout-role.yaml": "what the {name} rollout controller may do: its one state ConfigMap",
    "rollout-rolebinding.yaml": "the {name} rollout controller's Role, bound to its identity",
    "rollout-cronjob.yaml": "the {name} rollout controller: judges the running step on a schedule",
}


@dataclass(frozen=True)
class KubernetesTarget:
    """``deploy/``: kustomize base and overlay for every service the plan serves online."""

    name: str = "kubernetes"

    def render(self, plan: Plan) -> Rendered:
        """The manifests, their kustomizations, ``deploy/README.md`` and a README section."""
        services = served_services(plan)
        if not services:
            body = (
                "This plan serves no model online, so there is no serving workload to deploy "
                "on Kubernetes."
            )
            return Rendered({}, {}, sections={SECTION: body})
        header = generated_header("#", __version__, plan.system.spec_sha256)
        files: dict[str, str] = {}
        purposes: dict[str, str] = {}
        resources: list[str] = []
        for service in services:
            objects = {**manifests(plan, service), **rollout_manifests(plan, service)}
            for name, obj in objects.items():
                path = f"{BASE}/{service.name}/{name}"
                files[path] = header + yaml_dump(obj)
                purposes[path] = _PURPOSES[name].format(name=service.name)
                resources.append(f"{service.name}/{name}")
        files[f"{BASE}/kustomization.yaml"] = header + yaml_dump(base_kustomization(resources))
        purposes[f"{BASE}/kustomization.yaml"] = "the kustomize base: every serving manifest"
        overlay = overlay_kustomization(plan.infrastructure.cloud, services)
        files[f"{OVERLAY}/kustomization.yaml"] = header + yaml_dump(overlay)
        purposes[f"{OVERLAY}/kustomization.yaml"] = (
            "what CD applies: the registry image and workload identity from Terraform outputs"
        )
        scraped: list[str] = []
        for service in services:
            path = f"{MONITORING}/{service.name}/servicemonitor.yaml"
            files[path] = header + yaml_dump(service_monitor(plan, service))
            purposes[path] = f"the Prometheus Operator's scrape of {service.name}'s /metrics"
            scraped.append(f"{service.name}/servicemonitor.yaml")
        files[f"{MONITORING}/kustomization.yaml"] = header + yaml_dump(base_kustomization(scraped))
        purposes[f"{MONITORING}/kustomization.yaml"] = (
            "the scrape configuration, applied where the Prometheus Operator runs"
        )
        adapter = None
        if any(s.target_running_sequences is not None for s in services):
            adapter = ADAPTER_RULES
            files[f"{MONITORING}/{ADAPTER_RULES}"] = header + yaml_dump(adapter_rules())
            purposes[f"{MONITORING}/{ADAPTER_RULES}"] = (
                "the Prometheus adapter rule that gives the HPA each engine pod's running sequences"
            )
        files["deploy/README.md"] = _readme(plan, services, adapter)
        purposes["deploy/README.md"] = "how CD applies the serving manifests"
        return Rendered(files, purposes, sections={SECTION: _section(services)})


def _rows(services: list[Service]) -> list[dict[str, Any]]:
    rows = []
    for s in services:
        gpu = f", {s.gpu} GPU" if s.gpu else ""
        budget = f"max {s.max_unavailable} unavailable" if s.max_unavailable else "none"
        target = (
            f"{s.target_running_sequences} running sequences per pod"
            if s.target_running_sequences is not None
            else f"{s.target_cpu_percent} % CPU"
        )
        rows.append(
            {
                "name": s.name,
                "replicas": str(s.replicas),
                "bounds": f"{s.min_replicas}-{s.max_replicas} at {target}",
                "budget": budget,
                "resources": f"{cpu_quantity(s.cpu)} CPU, {s.memory_gib} GiB{gpu}",
            }
        )
    return rows


def adapter_rules() -> dict[str, Any]:
    """The prometheus-adapter rule exposing each pod's running sequences to the HPA."""
    return {
        "rules": {
            "custom": [
                {
                    "seriesQuery": f'{RUNNING_SEQUENCES}{{namespace!="",pod!=""}}',
                    "resources": {
                        "overrides": {
                            "namespace": {"resource": "namespace"},
                            "pod": {"resource": "pod"},
                        }
                    },
                    "name": {"as": RUNNING_SEQUENCES},
                    "metricsQuery": "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
                }
            ]
        }
    }


def _readme(plan: Plan, services: list[Service], adapter: str | None) -> str:
    identity = IDENTITY_ANNOTATIONS.get(plan.infrastructure.cloud)
    return render_file(
        "deploy/README.md",
        "kubernetes/deploy/README.md.j2",
        header=generated_header(
            "<!--", __version__, plan.system.spec_sha256, comment_suffix="-->"
        ).rstrip("\n"),
        system=plan.system.name,
        plural="s" if len(services) > 1 else "",
        rows=_rows(services),
        identity=identity,
        rollout=_rollout(services),
        adapter=adapter,
    )


def _rollout(services: list[Service]) -> dict[str, str] | None:
    """The README's facts about the rollout controller (None: nothing rolls out)."""
    rolling = [s for s in services if s.rolls_out]
    if not rolling:
        return None
    service = rolling[0]
    minutes = service.rollout_check_minutes
    return {
        "name": rollout_name(service),
        "every": "every minute" if minutes == 1 else f"every {minutes} minutes",
        "secret": ZENML_SECRET,
    }


def _section(services: list[Service]) -> str:
    names = ", ".join(markdown_code(s.name) for s in services)
    return (
        f"The online service ({names}) ships as kustomize manifests in `deploy/`, sized by the "
        "plan (replica floor, autoscaling bounds, disruption budget, resources per replica). "
        "CD applies them after the image is pushed, with the registry and identity read from "
        "the Terraform outputs:\n\n"
        "```sh\nkubectl apply -k deploy/overlays/cluster\n```\n\n"
        "Where the Prometheus Operator runs, `kubectl apply -k deploy/monitoring` adds its "
        "scrape of each service's `/metrics`. `deploy/README.md` lists the steps."
    )
