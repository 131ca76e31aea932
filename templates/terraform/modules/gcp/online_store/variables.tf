variable "name" {
  description = "Name prefix of the store's resources (the system's Kubernetes name)."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "region" {
  description = "Region of the store."
  type        = string
}

variable "zones" {
  description = "Zones of the plan; Bigtable clusters take them in order."
  type        = list(string)
}

variable "network_id" {
  description = "VPC the Redis cluster is reached from (Private Service Connect)."
  type        = string
}

variable "subnet_id" {
  description = "Subnet that holds the Redis cluster's Private Service Connect endpoints."
  type        = string
}

variable "kms_key_id" {
  description = "KMS key that encrypts Bigtable data."
  type        = string
}

variable "labels" {
  description = "Labels on the store."
  type        = map(string)
}

variable "online_store" {
  description = "The plan's online store: its kind, node type, shards and replicas (Memorystore Redis Cluster), clusters and nodes per cluster (Bigtable)."
  type = object({
    kind               = string
    node_type          = optional(string)
    shards             = number
    replicas_per_shard = number
    clusters           = number
    nodes_per_cluster  = number
  })

  validation {
    condition     = contains(["redis", "bigtable", "none"], var.online_store.kind)
    error_message = "A Google Cloud online store is redis (Memorystore), bigtable or none."
  }
}
