"""The Terraform target's values: the Plan's numbers as JSON, and what a trace can catch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlopsgen.targets.terraform.target import backend_hcl
from mlopsgen.targets.terraform.views import cluster_tfvars, node_pools, online_store
from tests.terraform_eval import Unsupported, evaluate
from tests.terraform_support import mutant_plan, reference_plan, write_stack
from tests.terraform_trace import block, instances


def test_gpu_pools_carry_the_plans_taint_and_gpu_class_label() -> None:
    plan = reference_plan("computer-vision")
    pools = node_pools(plan)
    gpu = pools["gpu-serving"]
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert gpu["labels"]["mlopsgen.io/gpu-class"] == "t4"
    assert (
        pools["system"]["taints"] == [] and "mlopsgen.io/gpu-class" not in pools["system"]["labels"]
    )


def test_gcp_gpu_pools_name_the_accelerator_of_the_gpu_class() -> None:
    plan = mutant_plan(
        "computer-vision",
        {"infrastructure": {"cloud": "gcp", "region": "us-central1", "gpu_class": "l4"}},
    )
    pools = node_pools(plan)
    assert pools["gpu-serving"]["gpu_type"] == "nvidia-l4"
    assert pools["system"]["gpu_type"] is None
    assert {pool["capacity_type"] for pool in pools.values()} <= {"STANDARD", "SPOT"}


def test_dynamodb_tables_are_feasts_one_per_online_view() -> None:
    plan = mutant_plan("fraud-detection", {"features": {"online_store": "dynamodb"}})
    store = online_store(plan)
    online = [view.name for view in plan.features.views if view.online]
    assert store["kind"] == "dynamodb"
    assert store["tables"] == [f"{plan.system.python_name}.{view}" for view in online]
    assert store["capacity_mode"] == plan.features.online_store.capacity_mode


@pytest.mark.parametrize("stem", ["fraud-detection", "nlp"])
def test_tfvars_are_plain_json_with_the_plans_zones(stem: str) -> None:
    plan = reference_plan(stem)
    values = cluster_tfvars(plan)
    assert json.loads(json.dumps(values)) == values
    assert values["zones"] == list(plan.infrastructure.zones)
    assert values["system"]["spec_sha256"] == plan.system.spec_sha256


def test_backend_settings_are_aligned_hcl_with_locking() -> None:
    text = backend_hcl(reference_plan("fraud-detection"), "infra")
    settings = [line for line in text.splitlines() if not line.startswith("#")]
    assert len({line.index("=") for line in settings}) == 1
    assert "use_lockfile   = true" in text and "dynamodb_table" in text
    gcp = backend_hcl(reference_plan("nlp"), "platform")
    assert 'prefix = "platform"' in gcp


def test_a_trace_catches_a_module_that_provisions_the_wrong_bound(tmp_path: Path) -> None:
    plan = reference_plan("fraud-detection")
    stack = write_stack(plan, tmp_path / "stack")
    module = stack / "infra/modules/node_groups/main.tf"
    text = module.read_text(encoding="utf-8")
    module.write_text(
        text.replace("min_size     = each.value.min_size", "min_size     = each.value.max_size")
    )
    serving = next(pool for pool in plan.compute.pools if pool.name == "serving")
    traced = {
        key: (scope, body)
        for key, scope, body in instances(stack, "node_groups", "aws_eks_node_group")
    }
    scope, body = traced["serving"]
    assert (
        evaluate(block(body, "scaling_config")["min_size"], scope)
        == serving.max_nodes
        != serving.min_nodes
    )


def test_the_evaluator_refuses_what_it_does_not_know() -> None:
    with pytest.raises(Unsupported):
        evaluate('${lookup(var.x, "a")}', {"var": {"x": {}}})
