# The online feature store the spec names: a Memorystore for Redis Cluster (the plan's shards
# and replicas, spread over the zones, IAM authentication, TLS in transit, reached through
# Private Service Connect) or a Bigtable instance (the plan's clusters, one per zone, and nodes,
# CMEK-encrypted SSD storage).
locals {
  redis    = var.online_store.kind == "redis" ? { this = var.online_store } : {}
  bigtable = var.online_store.kind == "bigtable" ? { this = var.online_store } : {}
}

resource "google_network_connectivity_service_connection_policy" "redis" {
  for_each = local.redis

  name          = "${var.name}-redis"
  project       = var.project_id
  location      = var.region
  service_class = "gcp-memorystore-redis"
  network       = var.network_id

  psc_config {
    subnetworks = [var.subnet_id]
  }
}

resource "google_redis_cluster" "this" {
  for_each = local.redis

  name                        = var.name
  project                     = var.project_id
  region                      = var.region
  shard_count                 = each.value.shards
  replica_count               = each.value.replicas_per_shard
  node_type                   = upper(replace(each.value.node_type, "-", "_"))
  authorization_mode          = "AUTH_MODE_IAM_AUTH"
  transit_encryption_mode     = "TRANSIT_ENCRYPTION_MODE_SERVER_AUTHENTICATION"
  deletion_protection_enabled = true

  psc_configs {
    network = var.network_id
  }

  zone_distribution_config {
    mode = "MULTI_ZONE"
  }

  persistence_config {
    mode = "RDB"

    rdb_config {
      rdb_snapshot_period = "ONE_HOUR"
    }
  }

  depends_on = [google_network_connectivity_service_connection_policy.redis]
}

resource "google_bigtable_instance" "this" {
  for_each = local.bigtable

  name                = substr(var.name, 0, 33)
  project             = var.project_id
  deletion_protection = true
  labels              = var.labels

  dynamic "cluster" {
    for_each = slice(var.zones, 0, each.value.clusters)

    content {
      cluster_id   = "${substr(var.name, 0, 27)}-c${cluster.key}"
      zone         = cluster.value
      num_nodes    = each.value.nodes_per_cluster
      storage_type = "SSD"
      kms_key_name = var.kms_key_id
    }
  }
}
