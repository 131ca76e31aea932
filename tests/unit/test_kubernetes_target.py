"""The serving manifests: valid for the plan's Kubernetes, and carrying the Plan's numbers.

The numbers are read back from the YAML the target wrote, not from the objects it built, so a
manifest that drops or renames a field fails here.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from kubernetes_validate import utils as kv_utils

from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.kubernetes.rollout import PROMETHEUS_URL, ZENML_SECRET
from mlopsgen.targets.kubernetes.target import SECTION, KubernetesTarget
from mlopsgen.targets.kubernetes.views import (
    CRONJOB_NAME_LENGTH,
    IDENTITY_ANNOTATIONS,
    rollout_object_name,
)
from mlopsgen.targets.quantities import cpu_quantity
from mlopsgen.targets.terraform.views import MONITORING
from tests.unit.hostile_strings import FRAGMENTS
from tests.unit.plan_support import REFERENCE, plan

TARGET = KubernetesTarget()
BASE = "deploy/base"
OVERLAY = "deploy/overlays/cluster/kustomization.yaml"


def nearest_version(wanted: str) -> str:
    """The shipped schema version nearest to ``wanted`` (a ``major.minor``)."""
    shipped = sorted({tuple(int(p) for p in v.split(".")[:2]) for v in kv_utils.all_versions()})
    major, minor = (int(p) for p in wanted.split(".")[:2])
    best = min(shipped, key=lambda v: (abs(v[0] - major) * 100 + abs(v[1] - minor), v))
    return f"{best[0]}.{best[1]}.0"


def objects(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every manifest under ``deploy/base/<service>/``, parsed, keyed by path."""
    return {
        path: yaml.safe_load(text)
        for path, text in files.items()
        if path.startswith(f"{BASE}/") and path.count("/") == 3
    }


def by_kind(files: dict[str, str], prefix: str = "") -> dict[str, dict[str, Any]]:
    """The serving objects by kind (``prefix="rollout-"``: the rollout controller's)."""
    found: dict[str, dict[str, Any]] = {}
    for path, obj in objects(files).items():
        name = path.rsplit("/", 1)[1]
        if name.startswith("rollout-") != (prefix == "rollout-"):
            continue
        assert obj["kind"] not in found, "one service per plan: each kind once"
        found[obj["kind"]] = obj
    return found


@pytest.mark.parametrize("stem", REFERENCE)
def test_every_manifest_is_valid_for_the_plans_kubernetes_in_strict_mode(stem: str) -> None:
    reference = plan(stem)
    version = nearest_version(reference.infrastructure.kubernetes_version)
    found = objects(dict(TARGET.render(reference).files))
    assert found, f"{stem}: no manifests"
    for path, obj in found.items():
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:  # pragma: no cover - failure text
            pytest.fail(f"{path}: {exc.message} at {list(exc.path)}")


def test_a_manifest_with_an_unknown_field_fails_the_validator() -> None:
    """Guard: strict validation does reject what the test above would let through."""
    obj = objects(dict(TARGET.render(plan("fraud-detection")).files))
    deployment = next(o for o in obj.values() if o["kind"] == "Deployment")
    deployment["spec"]["replicaz"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.31.0", strict=True)


def test_nearest_version_picks_a_shipped_one() -> None:
    assert nearest_version("1.31") == "1.31.0"
    assert nearest_version("1.2") == min(
        (v for v in kv_utils.all_versions()), key=lambda v: tuple(map(int, v.split(".")))
    )


@pytest.mark.parametrize("stem", REFERENCE)
def test_replicas_bounds_budget_and_resources_equal_the_plans(stem: str) -> None:
    reference = plan(stem)
    serving = reference.serving
    assert serving.hpa is not None and serving.pdb is not None
    kinds = by_kind(dict(TARGET.render(reference).files))
    deployment, hpa = kinds["Deployment"], kinds["HorizontalPodAutoscaler"]
    assert deployment["spec"]["replicas"] == serving.hpa.min_replicas
    assert hpa["spec"]["minReplicas"] == serving.hpa.min_replicas
    assert hpa["spec"]["maxReplicas"] == serving.hpa.max_replicas
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    target = hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"]
    assert target == serving.hpa.target_cpu_percent
    behavior = hpa["spec"]["behavior"]
    planned = serving.hpa.behavior
    for side, rules in (("scaleUp", planned.scale_up), ("scaleDown", planned.scale_down)):
        assert behavior[side]["stabilizationWindowSeconds"] == rules.stabilization_window_seconds
        written = [(p["type"], p["value"], p["periodSeconds"]) for p in behavior[side]["policies"]]
        assert written == [(p.type, p.value, p.period_seconds) for p in rules.policies]
    if serving.pdb.enabled:
        assert kinds["PodDisruptionBudget"]["spec"]["maxUnavailable"] == serving.pdb.max_unavailable
        assert serving.hpa.min_replicas >= 2
    else:
        assert "PodDisruptionBudget" not in kinds
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    resources = container["resources"]
    replica = serving.replica
    assert resources["requests"]["cpu"] == cpu_quantity(replica.cpu)
    assert resources["requests"]["memory"] == f"{replica.memory_gib}Gi"
    assert resources["limits"]["memory"] == f"{replica.memory_gib}Gi"
    gpu = resources["limits"].get("nvidia.com/gpu", 0)
    assert gpu == replica.gpu
    assert ("tolerations" in pod) == (replica.gpu > 0)
    zone = pod["topologySpreadConstraints"][0]
    assert zone["topologyKey"] == "topology.kubernetes.io/zone"
    zones = len(reference.infrastructure.zones)
    assert zone["whenUnsatisfiable"] == ("DoNotSchedule" if zones > 1 else "ScheduleAnyway")
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == 3000
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["serviceAccountName"] == kinds["ServiceAccount"]["metadata"]["name"]


def test_the_gpu_stack_requests_its_gpu_and_tolerates_the_taint() -> None:
    kinds = by_kind(dict(TARGET.render(plan("computer-vision")).files))
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] == 1
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_base_lists_every_manifest_and_the_overlay_takes_the_outputs(stem: str) -> None:
    reference = plan(stem)
    files = dict(TARGET.render(reference).files)
    base = yaml.safe_load(files[f"{BASE}/kustomization.yaml"])
    assert sorted(f"{BASE}/{r}" for r in base["resources"]) == sorted(objects(files))
    overlay = yaml.safe_load(files[OVERLAY])
    assert overlay["resources"] == ["../../base"]
    assert [i["name"] for i in overlay["images"]] == [reference.serving.service_name]
    annotation = IDENTITY_ANNOTATIONS[reference.infrastructure.cloud]
    (replacement,) = overlay["replacements"]
    assert replacement["source"]["fieldPath"] == "data.services_identity"
    assert replacement["targets"][0]["fieldPaths"] == [f"metadata.annotations.[{annotation}]"]


SCRAPE_INTERVAL = re.compile(r"^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$")


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_service_monitor_scrapes_the_services_metrics_port(stem: str) -> None:
    """The ServiceMonitor selects the Service by its labels and scrapes its named port's
    ``/metrics``; it lives outside the base, listed by its own kustomization."""
    files = dict(TARGET.render(plan(stem)).files)
    service = by_kind(files)["Service"]
    monitors = {
        path: yaml.safe_load(text)
        for path, text in files.items()
        if path.startswith("deploy/monitoring/") and path.endswith("/servicemonitor.yaml")
    }
    assert len(monitors) == 1
    ((path, monitor),) = monitors.items()
    assert (monitor["apiVersion"], monitor["kind"]) == (
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
    )
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    for key in ("interval", "scrapeTimeout"):
        assert SCRAPE_INTERVAL.match(endpoint[key]), endpoint[key]
    kustomization = yaml.safe_load(files["deploy/monitoring/kustomization.yaml"])
    assert [f"deploy/monitoring/{r}" for r in kustomization["resources"]] == [path]
    deployment = by_kind(files)["Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {"name": "MLOPSGEN_PREDICTION_LOG", "value": "-"} in container["env"]


def test_rendering_twice_gives_the_same_bytes() -> None:
    reference = plan("fraud-detection")
    assert TARGET.render(reference) == TARGET.render(reference)


def test_the_readme_section_says_how_cd_applies_them() -> None:
    rendered = TARGET.render(plan("recommendation"))
    assert "kubectl apply -k deploy/overlays/cluster" in rendered.sections[SECTION]
    assert "kubectl apply -k deploy/overlays/cluster" in rendered.files["deploy/README.md"]


def test_a_plan_serving_nothing_online_gets_no_manifests_but_a_section() -> None:
    reference = plan("fraud-detection")
    batch = dataclasses.replace(
        reference, serving=dataclasses.replace(reference.serving, realtime=False)
    )
    rendered = TARGET.render(batch)
    assert rendered.files == {}
    assert "no model online" in rendered.sections[SECTION]


def _renamed(reference: Plan, name: str) -> Plan:
    """The plan with its first served model renamed to ``name`` everywhere the target reads."""
    old = reference.serving.models[0]
    models = tuple(
        dataclasses.replace(m, name=name) if m.name == old else m for m in reference.models
    )
    served = tuple(name if m == old else m for m in reference.serving.models)
    system = dataclasses.replace(reference.system, name=name)
    return dataclasses.replace(
        reference,
        models=models,
        system=system,
        serving=dataclasses.replace(reference.serving, models=served),
    )


@settings(deadline=None, max_examples=40, derandomize=True)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("x".join))
def test_hostile_names_reach_the_yaml_as_data(name: str) -> None:
    reference = plan("fraud-detection")
    rendered = TARGET.render(_renamed(reference, name))
    deployment = by_kind(dict(rendered.files))["Deployment"]
    models = deployment["metadata"]["annotations"]["mlopsgen.dev/models"]
    assert models.split(",")[0] == name
    for path, text in rendered.files.items():
        if path.endswith(".yaml"):
            assert isinstance(yaml.safe_load(text), dict), path


def _promoting_at_once(reference: Plan) -> Plan:
    rollout = dataclasses.replace(
        reference.training.rollout, strategy="all_at_once", check_minutes=0
    )
    training = dataclasses.replace(reference.training, rollout=rollout)
    return dataclasses.replace(reference, training=training)


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_service_mounts_the_optional_rollout_state_and_names_it(stem: str) -> None:
    """The pods read the ConfigMap ``<service>-rollout`` as a mounted directory (never a
    ``subPath``, which the kubelet does not update); optional, so pods start before any
    rollout; and the kustomization does not list it, so an apply never resets it."""
    files = dict(TARGET.render(plan(stem)).files)
    deployment = by_kind(files)["Deployment"]
    name = rollout_object_name(deployment["metadata"]["name"])
    pod = deployment["spec"]["template"]["spec"]
    (volume,) = pod["volumes"]
    assert volume["configMap"] == {"name": name, "optional": True}
    (container,) = pod["containers"]
    (mount,) = container["volumeMounts"]
    assert mount["name"] == volume["name"] and mount["readOnly"] is True
    assert "subPath" not in mount
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["MLOPSGEN_ROLLOUT_STATE"] == f"{mount['mountPath']}/rollout.json"
    for text in files.values():
        document = yaml.safe_load(text) if text.lstrip().startswith(("#", "api")) else None
        assert not (isinstance(document, dict) and document.get("kind") == "ConfigMap")


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_rollout_cronjob_runs_the_controller_on_the_planned_period(stem: str) -> None:
    reference = plan(stem)
    files = dict(TARGET.render(reference).files)
    serving = by_kind(files)
    kinds = by_kind(files, "rollout-")
    assert sorted(kinds) == ["CronJob", "Role", "RoleBinding", "ServiceAccount"]
    name = rollout_object_name(reference.serving.service_name)
    assert {o["metadata"]["name"] for o in kinds.values()} == {name}
    cron = kinds["CronJob"]["spec"]
    minutes = reference.training.rollout.check_minutes
    step = reference.training.rollout.step_minutes
    assert minutes == min(5, max(1, -(-step // 10)))
    assert cron["schedule"] == f"*/{minutes} * * * *"
    assert cron["concurrencyPolicy"] == "Forbid"
    job = cron["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    assert pod["serviceAccountName"] == name
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    service_container = serving["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == service_container["image"], "the overlay pins both at once"
    assert container["args"] == ["python", "-m", "pipelines.rollout", "step", "--scheduled"]
    env = {e["name"]: e for e in container["env"]}
    assert env["MLOPSGEN_ROLLOUT_CONFIGMAP"]["value"] == f"$(POD_NAMESPACE)/{name}"
    names = [e["name"] for e in container["env"]]
    assert names.index("POD_NAMESPACE") < names.index("MLOPSGEN_ROLLOUT_CONFIGMAP")
    assert env["PROMETHEUS_URL"]["value"] == PROMETHEUS_URL
    assert f"{MONITORING['release']}-prometheus.{MONITORING['namespace']}." in PROMETHEUS_URL
    for variable, key in (("ZENML_STORE_URL", "url"), ("ZENML_STORE_API_KEY", "api-key")):
        reference_ = env[variable]["valueFrom"]["secretKeyRef"]
        assert reference_ == {"name": ZENML_SECRET, "key": key, "optional": True}
    resources = container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"]
    assert resources["limits"]["memory"] == resources["requests"]["memory"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    writable = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["ZENML_CONFIG_PATH"]["value"].startswith(tuple(writable))
    location = reference.features.offline_location
    assert location.startswith(("s3://", "gs://"))
    outcomes = env["MLOPSGEN_OUTCOMES_URI"]["value"]
    assert outcomes == f"{location.rstrip('/')}/outcomes/outcomes.parquet"


def test_the_rollout_cronjob_reads_outcomes_only_from_a_cloud_bucket() -> None:
    """An offline store outside a bucket (a local path) is no place the CronJob's pods can
    read: they get no outcome location, and judge steps on the error ratio alone."""
    reference = plan("fraud-detection")
    features = dataclasses.replace(reference.features, offline_location="data/offline")
    local = dataclasses.replace(reference, features=features)
    cron = by_kind(dict(TARGET.render(local).files), "rollout-")["CronJob"]
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert "MLOPSGEN_OUTCOMES_URI" not in {e["name"] for e in container["env"]}


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_rollout_role_reaches_only_its_one_configmap(stem: str) -> None:
    """get/update/patch name the state ConfigMap; ``create`` (which RBAC cannot limit by
    name) is the only other grant; the binding gives it to the controller alone."""
    reference = plan(stem)
    kinds = by_kind(dict(TARGET.render(reference).files), "rollout-")
    name = rollout_object_name(reference.serving.service_name)
    rules = kinds["Role"]["rules"]
    granted = sorted(
        (verb, tuple(rule.get("resourceNames", ()))) for rule in rules for verb in rule["verbs"]
    )
    assert granted == [
        ("create", ()),
        ("get", (name,)),
        ("patch", (name,)),
        ("update", (name,)),
    ]
    for rule in rules:
        assert rule["apiGroups"] == [""] and rule["resources"] == ["configmaps"]
    binding = kinds["RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": name,
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name}]
    assert kinds["ServiceAccount"]["metadata"]["name"] == name


def test_a_stack_promoting_at_once_gets_no_rollout_objects_and_no_mount() -> None:
    files = dict(TARGET.render(_promoting_at_once(plan("fraud-detection"))).files)
    assert by_kind(files, "rollout-") == {}
    pod = by_kind(files)["Deployment"]["spec"]["template"]["spec"]
    assert "volumes" not in pod
    env = {e["name"] for e in pod["containers"][0]["env"]}
    assert "MLOPSGEN_ROLLOUT_STATE" not in env
    assert "rollout" not in files["deploy/README.md"].lower()


def test_a_long_service_name_still_fits_a_cronjob_name() -> None:
    long = "s" * 63
    name = rollout_object_name(long)
    assert len(name) <= CRONJOB_NAME_LENGTH
    assert name != rollout_object_name("s" * 62)
    assert rollout_object_name("fraud-detection") == "fraud-detection-rollout"
