# The online feature store the spec names: an ElastiCache Redis replication group in cluster
# mode (the plan's shards and replicas per shard, spread over the zones, encrypted at rest and
# in transit, AUTH token kept in Secrets Manager) or DynamoDB tables, one per online feature
# view (point-in-time recovery, KMS encryption, the plan's capacity mode).
data "aws_region" "current" {}

locals {
  redis    = var.online_store.kind == "redis" ? { this = var.online_store } : {}
  dynamodb = var.online_store.kind == "dynamodb" ? toset(var.online_store.tables) : toset([])
}

resource "random_password" "auth" {
  for_each = local.redis

  length  = 64
  special = false
}

resource "aws_secretsmanager_secret_version" "auth" {
  for_each = local.redis

  secret_id     = var.auth_secret_arn
  secret_string = random_password.auth[each.key].result
}

resource "aws_elasticache_subnet_group" "this" {
  for_each = local.redis

  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "redis" {
  for_each = local.redis

  name        = "${var.name}-online-store"
  description = "Online feature store of ${var.name}: Redis from inside the VPC only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-online-store" }
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = local.redis

  security_group_id = aws_security_group.redis[each.key].id
  description       = "Redis from the cluster's pods and nodes"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_elasticache_replication_group" "this" {
  for_each = local.redis

  replication_group_id       = var.name
  description                = "Online feature store of ${var.name}"
  engine                     = "redis"
  engine_version             = each.value.engine_version
  node_type                  = each.value.node_type
  port                       = each.value.port
  parameter_group_name       = "default.redis7.cluster.on"
  num_node_groups            = each.value.shards
  replicas_per_node_group    = each.value.replicas_per_shard
  automatic_failover_enabled = true
  multi_az_enabled           = each.value.replicas_per_shard > 0
  subnet_group_name          = aws_elasticache_subnet_group.this[each.key].name
  security_group_ids         = [aws_security_group.redis[each.key].id]
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.auth[each.key].result
  snapshot_retention_limit   = each.value.snapshot_retention
  maintenance_window         = each.value.maintenance_window
  auto_minor_version_upgrade = true
  apply_immediately          = false
}

resource "aws_dynamodb_table" "this" {
  for_each = local.dynamodb

  name                        = each.value
  billing_mode                = var.online_store.capacity_mode == "provisioned" ? "PROVISIONED" : "PAY_PER_REQUEST"
  read_capacity               = var.online_store.capacity_mode == "provisioned" ? var.online_store.read_capacity : null
  write_capacity              = var.online_store.capacity_mode == "provisioned" ? var.online_store.write_capacity : null
  hash_key                    = "entity_id"
  deletion_protection_enabled = var.online_store.deletion_protection

  attribute {
    name = "entity_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

# Provisioned tables keep the plan's peak capacity as their floor and scale up to twice it,
# tracking 70 % utilisation (the target the plan priced provisioned capacity at).
locals {
  provisioned = var.online_store.capacity_mode == "provisioned" ? local.dynamodb : toset([])
  scaled = merge([
    for table in local.provisioned : {
      "${table}/read"  = { table = table, dimension = "ReadCapacityUnits", capacity = var.online_store.read_capacity, metric = "DynamoDBReadCapacityUtilization" }
      "${table}/write" = { table = table, dimension = "WriteCapacityUnits", capacity = var.online_store.write_capacity, metric = "DynamoDBWriteCapacityUtilization" }
    }
  ]...)
}

resource "aws_appautoscaling_target" "this" {
  for_each = local.scaled

  service_namespace  = "dynamodb"
  resource_id        = "table/${aws_dynamodb_table.this[each.value.table].name}"
  scalable_dimension = "dynamodb:table:${each.value.dimension}"
  min_capacity       = each.value.capacity
  max_capacity       = each.value.capacity * 2
}

resource "aws_appautoscaling_policy" "this" {
  for_each = local.scaled

  name               = "${each.key}-utilisation"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = 70

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}
