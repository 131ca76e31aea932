"""The CI/CD target: workflow structure, least privilege, pinned actions, environments."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
import yaml

from mlopsgen.plan.builder import build_plan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.spec.loader import load_spec_bytes
from mlopsgen.targets.cicd.actions import ACTIONS, annotate_pins
from mlopsgen.targets.cicd.deploy_workflow import PROXY_PORT, ROLLOUT_ARTIFACT
from mlopsgen.targets.cicd.environments import ENVIRONMENTS
from mlopsgen.targets.cicd.steps import CHECKOV_VERSION
from mlopsgen.targets.cicd.target import CI, DEPLOY, CicdTarget
from mlopsgen.targets.kubernetes.rollout import BENTO_SOURCE
from mlopsgen.targets.kubernetes.views import rollout_object_name
from tests.conftest import REPO
from tests.unit.plan_support import REFERENCE, plan

TARGET = CicdTarget()
CORPUS = REPO / "tests" / "data" / "corpus"
CORPUS_SPECS = ("listing-photos", "retail-tabular", "store-demand", "support-text")
SHA = re.compile(r"[0-9a-f]{40}")
USES = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def _corpus_plan(stem: str) -> Plan:
    path = CORPUS / f"{stem}.yaml"
    return build_plan(load_spec_bytes(path.read_bytes(), str(path.relative_to(REPO)))).plan


PLANS = [pytest.param(lambda s=s: plan(s), id=s) for s in REFERENCE] + [
    pytest.param(lambda s=s: _corpus_plan(s), id=s) for s in CORPUS_SPECS
]


def _workflows(p: Plan) -> dict[str, dict[str, Any]]:
    files = TARGET.render(p).files
    return {path: yaml.safe_load(text) for path, text in files.items()}


def _steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, body in workflow["jobs"].items() for step in body["steps"]]


def test_every_pin_is_a_full_commit_and_a_release() -> None:
    for action, pin in ACTIONS.items():
        assert SHA.fullmatch(pin.sha), action
        assert re.fullmatch(r"v\d+\.\d+\.\d+", pin.version), action


def test_checkov_version_matches_the_test_environment_pin() -> None:
    pins = (REPO / "tests" / "tools" / "checkov.txt").read_text(encoding="utf-8")
    assert f"checkov=={CHECKOV_VERSION}" in pins.splitlines()


def test_annotate_pins_names_only_the_tables_own_commits() -> None:
    pin = ACTIONS["actions/checkout"]
    text = f"- uses: actions/checkout@{pin.sha}\n- uses: actions/checkout@{'0' * 40}\n"
    lines = annotate_pins(text).splitlines()
    assert lines == [f"- uses: actions/checkout@{pin.sha} # {pin.version}",
                     f"- uses: actions/checkout@{'0' * 40}"]  # fmt: skip


@pytest.mark.parametrize("get", PLANS)
def test_every_action_is_pinned_with_its_release(get: Any) -> None:
    for path, text in TARGET.render(get()).files.items():
        for line in text.splitlines():
            if "uses:" in line:
                found = USES.match(line)
                assert found, (path, line)
                assert ACTIONS[found[1]] == (found[2], found[3]), (path, line)


@pytest.mark.parametrize("get", PLANS)
def test_permissions_are_empty_at_the_top_and_minimal_per_job(get: Any) -> None:
    for path, workflow in _workflows(get()).items():
        assert workflow["permissions"] == {}, path
        for name, job in workflow["jobs"].items():
            granted = job["permissions"]
            assert granted.get("contents") == "read", (path, name)
            if path == DEPLOY and name in ENVIRONMENTS:
                assert granted == {"contents": "read", "id-token": "write"}
            else:
                assert granted == {"contents": "read"}, (path, name)
            assert isinstance(job["timeout-minutes"], int), (path, name)


@pytest.mark.parametrize("get", PLANS)
def test_checkouts_keep_no_credentials_and_scripts_take_no_expressions(get: Any) -> None:
    for path, workflow in _workflows(get()).items():
        for job, step in _steps(workflow):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, (path, job)
            script = step.get("run", "")
            assert "${{" not in script, (path, job, step["name"])
            assert "set -x" not in script, (path, job, step["name"])


@pytest.mark.parametrize("get", PLANS)
def test_deploys_go_through_staging_then_production(get: Any) -> None:
    p = get()
    workflows = _workflows(p)
    if p.infrastructure.cloud not in ("aws", "gcp"):
        assert DEPLOY not in workflows
        return
    jobs = workflows[DEPLOY]["jobs"]
    assert workflows[DEPLOY]["on"] == {"push": {"branches": ["main"]}}
    assert [n for n in jobs if n in ENVIRONMENTS] == list(ENVIRONMENTS)
    assert jobs["production"]["needs"] == ["staging"]
    for name in ENVIRONMENTS:
        assert jobs[name]["environment"] == {"name": name}
        assert jobs[name]["concurrency"] == {"group": f"deploy-{name}", "cancel-in-progress": False}
    signs_in = "configure-aws-credentials" if p.infrastructure.cloud == "aws" else "auth@"
    for name, job in jobs.items():
        used = [s.get("uses", "") for s in job["steps"]]
        assert any(signs_in in u for u in used) == (name in ENVIRONMENTS), name


def _promoting_at_once(reference: Plan) -> Plan:
    rollout = dataclasses.replace(
        reference.training.rollout, strategy="all_at_once", check_minutes=0
    )
    return dataclasses.replace(
        reference, training=dataclasses.replace(reference.training, rollout=rollout)
    )


@pytest.mark.parametrize("stem", REFERENCE)
def test_production_adopts_the_training_runs_rollout_through_kubectl_proxy(stem: str) -> None:
    """The build job keeps the state ``make train`` wrote (an empty one when no rollout
    started) as an artifact; after production's manifests are applied and rolled out, the
    production job (alone) reaches the API through ``kubectl proxy`` on 127.0.0.1 and adopts
    it into the CronJob's ConfigMap from the pushed image's controller."""
    reference = plan(stem)
    jobs = _workflows(reference)[DEPLOY]["jobs"]
    build = [s["name"] for s in jobs["build"]["steps"]]
    kept = jobs["build"]["steps"][build.index("Keep the training run's rollout")]
    assert build.index("Train; promotion only through the gates") < build.index(kept["name"])
    assert "cp .mlopsgen/rollout.json" in kept["run"]
    assert """printf '{"rollouts": {}}\\n'""" in kept["run"]
    upload = jobs["build"]["steps"][build.index(kept["name"]) + 1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["name"] == ROLLOUT_ARTIFACT
    assert upload["with"]["if-no-files-found"] == "error"

    production = [s["name"] for s in jobs["production"]["steps"]]
    adopt = jobs["production"]["steps"][-1]
    assert production.index("Apply the serving manifests") < production.index(adopt["name"])
    fetch = jobs["production"]["steps"][-2]
    assert fetch["uses"].startswith("actions/download-artifact@")
    assert fetch["with"]["name"] == ROLLOUT_ARTIFACT
    assert adopt["env"]["CONFIGMAP"] == rollout_object_name(reference.serving.service_name)
    assert adopt["env"]["PROXY_PORT"] == str(PROXY_PORT)
    assert adopt["env"]["SOURCE"] == BENTO_SOURCE
    script = adopt["run"]
    assert 'kubectl proxy --address=127.0.0.1 --port="${PROXY_PORT}" &' in script
    assert "trap 'kill \"${proxy}\"' EXIT" in script
    assert 'MLOPSGEN_KUBERNETES_API="http://127.0.0.1:${PROXY_PORT}"' in script
    assert 'MLOPSGEN_ROLLOUT_CONFIGMAP="${namespace:-default}/${CONFIGMAP}"' in script
    assert "--network host" in script and '"${IMAGE}:${GITHUB_SHA}"' in script
    adopting = "python -m pipelines.rollout adopt --from /handover/rollout.json"
    assert script.rstrip().endswith(adopting)
    staging = str(jobs["staging"])
    assert ROLLOUT_ARTIFACT not in staging and "kubectl proxy" not in staging


def test_a_stack_promoting_at_once_hands_no_rollout_over() -> None:
    jobs = _workflows(_promoting_at_once(plan("fraud-detection")))[DEPLOY]["jobs"]
    text = yaml.safe_dump(jobs)
    assert ROLLOUT_ARTIFACT not in text and "kubectl proxy" not in text
    assert "pipelines.rollout" not in text


@pytest.mark.parametrize("get", PLANS)
def test_models_reach_a_deploy_only_through_the_gates(get: Any) -> None:
    p = get()
    workflows = _workflows(p)
    scripts = [s.get("run", "") for w in workflows.values() for _, s in _steps(w)]
    assert not any("set-stage" in s or "--stage" in s or ("update" in s and "zenml" in s)
                   for s in scripts)  # fmt: skip
    if DEPLOY in workflows and "build" in workflows[DEPLOY]["jobs"]:
        build = workflows[DEPLOY]["jobs"]["build"]["steps"]
        names = [s["name"] for s in build]
        train = names.index("Train; promotion only through the gates")
        assert names.index("Copy the promoted models into BentoML") > train
        assert 'exit "${status}"' in build[train]["run"]
        assert "exit 0" not in build[train]["run"]


def test_pull_requests_show_a_gate_refusal_without_failing() -> None:
    workflow = _workflows(plan("fraud-detection"))[CI]
    assert set(workflow["on"]) == {"pull_request", "push"}
    train = workflow["jobs"]["train"]["steps"][-1]
    assert 'make train ROWS="${ROWS}"' in train["run"]
    assert '"${status}" -eq 3' in train["run"] and "::warning" in train["run"]
    assert set(workflow["jobs"]) == {"staleness", "terraform", "monitoring", "train"}


def test_a_local_stack_gets_checks_and_no_deploy() -> None:
    p = _corpus_plan("store-demand")
    rendered = TARGET.render(p)
    assert p.infrastructure.cloud == "local"
    assert list(rendered.files) == [CI]
    assert "terraform" not in _workflows(p)[CI]["jobs"]
    assert "no cloud to deploy to" in rendered.sections["CI/CD"]


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_same_plan_gives_the_same_bytes(stem: str) -> None:
    assert TARGET.render(plan(stem)).files == TARGET.render(plan(stem)).files


def test_terraform_ci_identities_trust_the_workflows_environments() -> None:
    tfvars = REPO / "generated" / "fraud-detection" / "infra" / "terraform.tfvars.json"
    assert yaml.safe_load(tfvars.read_text(encoding="utf-8"))["ci"]["environments"] == list(
        ENVIRONMENTS
    )
    for cloud in ("aws", "gcp"):
        module = REPO / "templates" / "terraform" / "modules" / cloud / "ci" / "main.tf"
        text = module.read_text(encoding="utf-8")
        assert ":environment:${" in text, cloud
        assert "refs/heads" not in text, cloud


def test_the_readme_names_every_variable_the_workflows_read() -> None:
    for stem in REFERENCE:
        rendered = TARGET.render(plan(stem))
        section = rendered.sections["CI/CD"]
        read = set()
        for text in rendered.files.values():
            read |= set(re.findall(r"vars\.([A-Z_]+)", text))
        assert read, stem
        for name in sorted(read):
            assert f"`{name}`" in section, (stem, name)


def test_the_pin_table_is_sorted() -> None:
    assert list(ACTIONS) == sorted(ACTIONS)
