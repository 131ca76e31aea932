"""The cluster overlay as CD builds it: kustomize takes the image and identity, output valid.

Runs ``kubectl kustomize`` (kustomize built into kubectl) on a reference stack's ``deploy/``
after doing what the README's CD steps do: write ``outputs.env`` and point the image at the
registry (the edit ``kustomize edit set image`` makes).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import SPECS
from tests.e2e.stack_part import write_stack_part

KUBECTL = shutil.which("kubectl")
OVERLAY = "deploy/overlays/cluster"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl (with its built-in kustomize) is not on PATH")
@pytest.mark.parametrize(
    ("stem", "annotation"),
    [
        ("computer-vision", "eks.amazonaws.com/role-arn"),
        ("recommendation", "iam.gke.io/gcp-service-account"),
    ],
)
def test_the_overlay_builds_with_the_terraform_outputs(
    stem: str, annotation: str, tmp_path: Path
) -> None:
    assert KUBECTL is not None
    write_stack_part(SPECS / f"{stem}.yaml", tmp_path, "deploy/")
    overlay = tmp_path / OVERLAY
    identity = "arn:aws:iam::123456789012:role/services"
    (overlay / "outputs.env").write_text(f"services_identity={identity}\n", encoding="utf-8")
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8"))
    (image,) = kustomization["images"]
    image["newName"] = f"registry.example/team/{image['name']}"
    image["newTag"] = "abc123"
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")

    built = subprocess.run(
        [KUBECTL, "kustomize", str(overlay)], capture_output=True, text=True, check=True
    )
    documents = [d for d in yaml.safe_load_all(built.stdout) if d]
    kinds = sorted(d["kind"] for d in documents)
    assert kinds == sorted(
        [
            "CronJob",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Role",
            "RoleBinding",
            "Service",
            "ServiceAccount",
            "ServiceAccount",
        ]
    ), "no ConfigMap: neither the outputs' (local only) nor the rollout state (the controller's)"
    for document in documents:
        kubernetes_validate.validate(document, "1.31.0", strict=True)
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    service = image["name"]
    account = by_kind["ServiceAccount", service]
    assert account["metadata"]["annotations"][annotation] == identity
    controller = by_kind["ServiceAccount", f"{service}-rollout"]
    assert annotation not in controller["metadata"].get("annotations", {}), "no cloud role"
    container = by_kind["Deployment", service]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"registry.example/team/{service}:abc123"
    cronjob = by_kind["CronJob", f"{service}-rollout"]["spec"]["jobTemplate"]["spec"]
    (controller_container,) = cronjob["template"]["spec"]["containers"]
    assert controller_container["image"] == container["image"], "one edit pins both"
