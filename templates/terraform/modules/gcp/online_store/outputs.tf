output "endpoint" {
  description = "Where clients reach the store: the Redis cluster's discovery endpoint and port, or the Bigtable instance."
  value = join("", concat(
    [for cluster in google_redis_cluster.this : "${cluster.discovery_endpoints[0].address}:${cluster.discovery_endpoints[0].port}"],
    [for instance in google_bigtable_instance.this : "bigtable://${var.project_id}/${instance.name}"],
  ))
}

output "bigtable_instance" {
  description = "Name of the Bigtable instance (empty for Redis), for the workloads' IAM."
  value       = join("", [for instance in google_bigtable_instance.this : instance.name])
}
