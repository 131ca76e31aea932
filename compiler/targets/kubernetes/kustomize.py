"""The kustomizations that tie the manifests together and take the cluster's addresses.

The base lists every object of every service. The ``cluster`` overlay is what CD applies: it
overrides each service's image with the registry of the Terraform outputs contract
(``registry_url``, set with ``kustomize edit set image``) and, on a cloud, copies the
``services_identity`` output from an ``outputs.env`` file CD writes into the ServiceAccount's
workload-identity annotation (a kustomize replacement from a local-only ConfigMap, which is
never sent to the cluster).
"""

from __future__ import annotations

from typing import Any

from mlopsgen.targets.kubernetes.views import IDENTITY_ANNOTATIONS, Service

__all__ = ["OUTPUTS_CONFIGMAP", "OUTPUTS_ENV", "base_kustomization", "overlay_kustomization"]

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
OUTPUTS_ENV = "outputs.env"
OUTPUTS_CONFIGMAP = "terraform-outputs"
IDENTITY_OUTPUT = "services_identity"


def base_kustomization(resources: list[str]) -> dict[str, Any]:
    """The base: every manifest, by path relative to ``deploy/base``."""
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "resources": resources}


def overlay_kustomization(cloud: str, services: list[Service]) -> dict[str, Any]:
    """The overlay CD applies: image overrides and, on a cloud, the workload identity.

    The image entries start as the bare service names; CD replaces each with
    ``<registry_url>/<service>:<tag>``.
    """
    data: dict[str, Any] = {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "resources": ["../../base"],
        "images": [{"name": s.name, "newName": s.name, "newTag": "latest"} for s in services],
    }
    annotation = IDENTITY_ANNOTATIONS.get(cloud)
    if annotation is None:
        return data
    data["configMapGenerator"] = [
        {
            "name": OUTPUTS_CONFIGMAP,
            "envs": [OUTPUTS_ENV],
            "options": {
                "disableNameSuffixHash": True,
                "annotations": {"config.kubernetes.io/local-config": "true"},
            },
        }
    ]
    data["replacements"] = [
        {
            "source": {
                "kind": "ConfigMap",
                "name": OUTPUTS_CONFIGMAP,
                "fieldPath": f"data.{IDENTITY_OUTPUT}",
            },
            "targets": [
                {
                    "select": {"kind": "ServiceAccount", "name": s.name},
                    "fieldPaths": [f"metadata.annotations.[{annotation}]"],
                    "options": {"create": True},
                }
                for s in services
            ],
        }
    ]
    return data
