variable "name" {
  description = "Name prefix of the store's resources (the system's Kubernetes name)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the Redis replication group."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 range allowed to reach Redis."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (one per zone) of the Redis replication group."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the store at rest."
  type        = string
}

variable "auth_secret_arn" {
  description = "Secrets Manager secret that receives the Redis AUTH token, read by name by the workloads."
  type        = string
}

variable "online_store" {
  description = "The plan's online store: its kind, node type, shards and replicas (Redis), capacity mode, peak reads and writes per second and tables (DynamoDB)."
  type = object({
    kind                = string
    node_type           = optional(string)
    shards              = number
    replicas_per_shard  = number
    capacity_mode       = optional(string)
    read_capacity       = number
    write_capacity      = number
    tables              = list(string)
    snapshot_retention  = number
    engine_version      = string
    maintenance_window  = string
    port                = number
    deletion_protection = bool
  })

  validation {
    condition     = contains(["redis", "dynamodb", "none"], var.online_store.kind)
    error_message = "An AWS online store is redis (ElastiCache), dynamodb or none."
  }
}
