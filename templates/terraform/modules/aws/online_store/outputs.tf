output "endpoint" {
  description = "Where clients reach the store: the Redis configuration endpoint and port, or the DynamoDB endpoint of the region."
  value = (
    var.online_store.kind == "redis"
    ? join("", [for group in aws_elasticache_replication_group.this : "${group.configuration_endpoint_address}:${group.port}"])
    : "dynamodb.${data.aws_region.current.region}.amazonaws.com"
  )
}

output "table_arns" {
  description = "ARNs of the DynamoDB tables (empty for Redis), for the workloads' policies."
  value       = [for table in aws_dynamodb_table.this : table.arn]
}
