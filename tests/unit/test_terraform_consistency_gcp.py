"""Google Cloud stacks provision the Plan's numbers, securely, traced through the files.

As for AWS: each value starts in ``terraform.tfvars.json``, passes through the root's module
call into the module's variable and is evaluated in the resource attribute that provisions it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.plan import Plan
from tests.terraform_eval import evaluate
from tests.terraform_support import stacks_on, write_corpus
from tests.terraform_trace import block, instances, taint

GCP = stacks_on("gcp")
ACCELERATORS = {"t4": "nvidia-tesla-t4", "l4": "nvidia-l4", "a100": "nvidia-tesla-a100"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Plan, Path]]:
    return write_corpus(tmp_path_factory.mktemp("consistency-gcp"))


@pytest.mark.parametrize("name", GCP)
def test_node_pools_have_the_plans_types_bounds_zones_and_gpus(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    pools = {
        key: (scope, body)
        for key, scope, body in instances(stack, "node_pools", "google_container_node_pool")
    }
    assert sorted(pools) == sorted(pool.name for pool in plan.compute.pools)
    zones = len(plan.infrastructure.zones)
    for pool in plan.compute.pools:
        scope, body = pools[pool.name]
        scaling = block(body, "autoscaling")
        assert evaluate(scaling["total_min_node_count"], scope) == pool.min_nodes
        assert evaluate(scaling["total_max_node_count"], scope) == pool.max_nodes
        assert evaluate(body["initial_node_count"], scope) * zones >= pool.planned_nodes
        assert evaluate(body["node_locations"], scope) == list(plan.infrastructure.zones)
        node = block(body, "node_config")
        assert evaluate(node["machine_type"], scope) == pool.instance_type
        assert evaluate(node["spot"], scope) == (pool.capacity_type == "spot")
        taints = next(d['"taint"'] for d in node["dynamic"] if '"taint"' in d)
        assert evaluate(taints["for_each"], scope) == [taint(t) for t in pool.taints]
        labels = evaluate(node["labels"], scope)
        assert labels.get("mlopsgen.io/gpu-class") == pool.gpu_class
        gpus = next(d['"guest_accelerator"'] for d in node["dynamic"] if '"guest_accelerator"' in d)
        accelerators = evaluate(gpus["for_each"], scope)
        if pool.gpus:
            assert accelerators == [ACCELERATORS[pool.gpu_class or ""]]
            assert evaluate(block(gpus, "content")["count"], scope) == pool.gpus
            assert pool.taints, f"GPU pool {pool.name} is not tainted"
        else:
            assert accelerators == []


@pytest.mark.parametrize("name", GCP)
def test_the_cluster_spans_the_plans_zones_privately_with_encrypted_secrets(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    ((_, scope, cluster),) = instances(stack, "cluster", "google_container_cluster")
    assert evaluate(cluster["node_locations"], scope) == list(plan.infrastructure.zones)
    assert evaluate(cluster["min_master_version"], scope) == plan.infrastructure.kubernetes_version
    private = block(cluster, "private_cluster_config")
    assert private["enable_private_nodes"] is True and private["enable_private_endpoint"] is True
    assert block(cluster, "database_encryption")["state"] == '"ENCRYPTED"'
    assert cluster["enable_shielded_nodes"] is True
    assert block(cluster, "node_config", "workload_metadata_config")["mode"] == '"GKE_METADATA"'
    for _, _, pool in instances(stack, "node_pools", "google_container_node_pool"):
        node = block(pool, "node_config")
        assert block(node, "workload_metadata_config")["mode"] == '"GKE_METADATA"'
        assert block(node, "shielded_instance_config")["enable_secure_boot"] is True
        assert node["boot_disk_kms_key"] == "${var.kms_key_id}"


@pytest.mark.parametrize("name", GCP)
def test_the_online_store_has_the_plans_size(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    plan, stack = corpus[name]
    store = plan.features.online_store
    redis = instances(stack, "online_store", "google_redis_cluster")
    bigtable = instances(stack, "online_store", "google_bigtable_instance")
    if store.kind == "redis":
        assert len(redis) == 1 and bigtable == []
        _, scope, body = redis[0]
        assert evaluate(body["shard_count"], scope) == store.shards
        assert evaluate(body["replica_count"], scope) == store.replicas_per_shard
        node_type = evaluate(body["node_type"], scope)
        assert node_type == (store.node_type or "").upper().replace("-", "_")
        assert store.shards * (1 + store.replicas_per_shard) == store.nodes
    else:
        assert store.kind == "bigtable" and redis == []
        ((_, scope, body),) = bigtable
        clusters = block(body, "dynamic")['"cluster"']
        zones = evaluate(clusters["for_each"], scope)
        assert len(zones) == store.clusters and set(zones) <= set(plan.infrastructure.zones)
        per_cluster = evaluate(block(clusters, "content")["num_nodes"], scope)
        assert per_cluster * store.clusters == store.nodes
        assert block(clusters, "content")["kms_key_name"] == "${var.kms_key_id}"


@pytest.mark.parametrize("name", GCP)
def test_buckets_are_encrypted_versioned_and_never_public(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    buckets = instances(stack, "storage", "google_storage_bucket")
    assert "artifacts" in {key for key, _, _ in buckets}
    for _, _, body in [*buckets, *instances(stack, "storage", "google_storage_bucket", "logs")]:
        assert body["public_access_prevention"] == '"enforced"'
        assert body["uniform_bucket_level_access"] is True
        assert block(body, "versioning")["enabled"] is True
        assert block(body, "encryption")["default_kms_key_name"] == "${var.kms_key_id}"
        assert "lifecycle_rule" in body


@pytest.mark.parametrize("name", GCP)
def test_registry_and_secrets_use_the_stacks_rotating_key(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    ((_, _, registry),) = instances(stack, "registry", "google_artifact_registry_repository")
    assert registry["kms_key_name"] == "${var.kms_key_id}"
    ((_, scope, key),) = instances(stack, "secrets", "google_kms_crypto_key")
    assert int(evaluate(key["rotation_period"], scope).removesuffix("s")) <= 90 * 86400
    for _, _, secret in instances(stack, "secrets", "google_secret_manager_secret"):
        replica = block(secret, "replication", "user_managed", "replicas")
        encryption = block(replica, "customer_managed_encryption")
        assert encryption["kms_key_name"] == "${google_kms_crypto_key.this.id}"
