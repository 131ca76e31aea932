"""The infrastructure provisions the Plan's numbers, and provisions them securely.

Consistency is traced through the generated files, not re-read from the tfvars alone: each
value starts in ``terraform.tfvars.json``, passes through the root's module call into the
module's variable, and is evaluated in the resource attribute that provisions it (one instance
per ``for_each`` key). The security assertions read the same resources: encryption at rest,
public-access blocks, a private cluster endpoint, IMDSv2 on every node.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.plan import Plan
from tests.terraform_eval import evaluate
from tests.terraform_support import stacks_on, write_corpus
from tests.terraform_trace import block, instances, taint

AWS = stacks_on("aws")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Plan, Path]]:
    return write_corpus(tmp_path_factory.mktemp("consistency"))


@pytest.mark.parametrize("name", AWS)
def test_node_groups_have_the_plans_types_counts_bounds_and_gpu_taints(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    groups = {
        key: (scope, body)
        for key, scope, body in instances(stack, "node_groups", "aws_eks_node_group")
    }
    assert sorted(groups) == sorted(pool.name for pool in plan.compute.pools)
    for pool in plan.compute.pools:
        scope, body = groups[pool.name]
        scaling = block(body, "scaling_config")
        assert evaluate(scaling["min_size"], scope) == pool.min_nodes
        assert evaluate(scaling["max_size"], scope) == pool.max_nodes
        assert evaluate(scaling["desired_size"], scope) == pool.planned_nodes
        assert [evaluate(t, scope) for t in body["instance_types"]] == [pool.instance_type]
        capacity = {"on_demand": "ON_DEMAND", "spot": "SPOT"}[pool.capacity_type]
        assert evaluate(body["capacity_type"], scope) == capacity
        taints = block(body, "dynamic")['"taint"']
        assert evaluate(taints["for_each"], scope) == [taint(t) for t in pool.taints]
        labels = evaluate(body["labels"], scope)
        assert labels.get("mlopsgen.io/gpu-class") == pool.gpu_class
        assert ("NVIDIA" in evaluate(body["ami_type"], scope)) == (pool.gpus > 0)
        if pool.gpus:
            assert pool.taints, f"GPU pool {pool.name} is not tainted"
            assert plan.infrastructure.gpu_class == pool.gpu_class


@pytest.mark.parametrize("name", AWS)
def test_subnets_span_exactly_the_plans_zones(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    for kind in ("private", "public"):
        subnets = instances(stack, "network", "aws_subnet", kind)
        zones = [evaluate(body["availability_zone"], scope) for _, scope, body in subnets]
        assert sorted(zones) == sorted(plan.infrastructure.zones)
    (_, scope, nat), *_ = instances(stack, "network", "aws_nat_gateway")
    assert len(evaluate(nat["for_each"], scope)) == len(plan.infrastructure.zones)


@pytest.mark.parametrize("name", AWS)
def test_the_online_store_has_the_plans_size(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    store = plan.features.online_store
    groups = instances(stack, "online_store", "aws_elasticache_replication_group")
    tables = instances(stack, "online_store", "aws_dynamodb_table")
    if store.kind == "redis":
        assert len(groups) == 1 and tables == []
        _, scope, body = groups[0]
        assert evaluate(body["num_node_groups"], scope) == store.shards
        assert evaluate(body["replicas_per_node_group"], scope) == store.replicas_per_shard
        assert evaluate(body["node_type"], scope) == store.node_type
        nodes = store.shards * (1 + store.replicas_per_shard)
        assert nodes == store.nodes
    else:
        assert store.kind == "dynamodb" and groups == []
        online = [view.name for view in plan.features.views if view.online]
        assert len(tables) == len(online) >= 1
        for _, scope, body in tables:
            mode = evaluate(body["billing_mode"], scope)
            expected = "PROVISIONED" if store.capacity_mode == "provisioned" else "PAY_PER_REQUEST"
            assert mode == expected


@pytest.mark.parametrize("name", AWS)
def test_the_cluster_endpoint_is_private_and_secrets_are_encrypted(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    ((_, scope, cluster),) = instances(stack, "cluster", "aws_eks_cluster")
    vpc = block(cluster, "vpc_config")
    assert vpc["endpoint_public_access"] is False and vpc["endpoint_private_access"] is True
    assert block(cluster, "encryption_config")["resources"] == ['"secrets"']
    logs = {evaluate(t, scope) for t in cluster["enabled_cluster_log_types"]}
    assert logs == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert evaluate(cluster["version"], scope) == plan.infrastructure.kubernetes_version


@pytest.mark.parametrize("name", AWS)
def test_every_node_requires_imdsv2_and_encrypts_its_disk(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    templates = instances(stack, "node_groups", "aws_launch_template")
    assert len(templates) == len(plan.compute.pools)
    for _, _, body in templates:
        metadata = block(body, "metadata_options")
        assert metadata["http_tokens"] == '"required"'
        assert metadata["http_put_response_hop_limit"] == 1
        assert block(body, "block_device_mappings", "ebs")["encrypted"] is True
    groups = instances(stack, "node_groups", "aws_eks_node_group")
    for key, _, body in groups:
        template = block(body, "launch_template")["id"]
        assert template == "${aws_launch_template.this[each.key].id}", key


@pytest.mark.parametrize("name", AWS)
def test_buckets_are_encrypted_versioned_private_and_expire_old_versions(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    buckets = {key for key, _, _ in instances(stack, "storage", "aws_s3_bucket")}
    assert "artifacts" in buckets
    for rtype, check in (
        (
            "aws_s3_bucket_public_access_block",
            lambda b: all(
                b[k] is True
                for k in (
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                )
            ),
        ),
        (
            "aws_s3_bucket_versioning",
            lambda b: block(b, "versioning_configuration")["status"] == '"Enabled"',
        ),
        (
            "aws_s3_bucket_server_side_encryption_configuration",
            lambda b: (
                block(b, "rule", "apply_server_side_encryption_by_default")["sse_algorithm"]
                == '"aws:kms"'
            ),
        ),
        (
            "aws_s3_bucket_lifecycle_configuration",
            lambda b: "noncurrent_version_expiration" in block(b, "rule"),
        ),
    ):
        found = instances(stack, "storage", rtype)
        assert {key for key, _, _ in found} == buckets, rtype
        assert all(check(body) for _, _, body in found), rtype


@pytest.mark.parametrize("name", AWS)
def test_stores_registry_and_secrets_are_encrypted_at_rest(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    ((_, _, group),) = instances(stack, "online_store", "aws_elasticache_replication_group") or [
        ("", {}, {"at_rest_encryption_enabled": True, "transit_encryption_enabled": True})
    ]
    assert (
        group["at_rest_encryption_enabled"] is True and group["transit_encryption_enabled"] is True
    )
    for _, _, table in instances(stack, "online_store", "aws_dynamodb_table"):
        assert block(table, "server_side_encryption")["enabled"] is True
    ((_, _, registry),) = instances(stack, "registry", "aws_ecr_repository")
    assert block(registry, "encryption_configuration")["encryption_type"] == '"KMS"'
    ((_, _, key),) = instances(stack, "secrets", "aws_kms_key")
    assert key["enable_key_rotation"] is True
    for _, _, secret in instances(stack, "secrets", "aws_secretsmanager_secret"):
        assert secret["kms_key_id"] == "${aws_kms_key.this.arn}"
