# Every value is set in terraform.tfvars.json, written from the stack's plan; the validation
# blocks catch a hand-edited file before AWS does.
variable "name" {
  description = "The system's Kubernetes name; prefixes every resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name))
    error_message = "The name is lowercase letters, digits and '-', 2 to 40 characters, as EKS and IAM names allow."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region is an AWS region name such as eu-west-1."
  }
}

variable "zones" {
  description = "Availability zones the network, node groups and online store span."
  type        = list(string)

  validation {
    condition     = length(var.zones) >= 1 && alltrue([for zone in var.zones : startswith(zone, var.region)])
    error_message = "At least one zone, each in the stack's region."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]+$", var.kubernetes_version))
    error_message = "The Kubernetes version is a minor version such as 1.31."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "The VPC range is an IPv4 CIDR block."
  }
}

variable "node_pools" {
  description = "Node groups keyed by pool name: the plan's instance type, capacity type, node counts, autoscaling bounds, GPUs, labels and taints."
  type = map(object({
    instance_type = string
    capacity_type = string
    min_size      = number
    max_size      = number
    desired_size  = number
    gpus          = number
    disk_size_gib = number
    labels        = map(string)
    taints = list(object({
      key    = string
      value  = string
      effect = string
    }))
  }))

  validation {
    condition = alltrue([
      for pool in values(var.node_pools) :
      pool.min_size <= pool.desired_size && pool.desired_size <= pool.max_size && pool.max_size >= 1
    ])
    error_message = "Each pool needs min_size <= desired_size <= max_size and max_size >= 1."
  }

  validation {
    condition     = alltrue([for pool in values(var.node_pools) : contains(["ON_DEMAND", "SPOT"], pool.capacity_type)])
    error_message = "A capacity type is ON_DEMAND or SPOT."
  }

  validation {
    condition = alltrue(flatten([
      for pool in values(var.node_pools) : [
        for taint in pool.taints : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], taint.effect)
      ]
    ]))
    error_message = "A taint effect is NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }
}

variable "online_store" {
  description = "The plan's online store: kind (redis or dynamodb), node type, shards and replicas per shard, capacity mode, peak reads and writes per second, tables."
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

  validation {
    condition     = var.online_store.kind != "redis" || (var.online_store.shards >= 1 && var.online_store.node_type != null)
    error_message = "A Redis online store needs at least one shard and a node type."
  }
}

variable "online_store_secret" {
  description = "Short name of the secret that holds the online store's password."
  type        = string
}

variable "buckets" {
  description = "S3 buckets keyed by role (artifacts, offline store)."
  type        = map(string)

  validation {
    condition     = alltrue([for bucket in values(var.buckets) : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", bucket))])
    error_message = "Bucket names are 3 to 63 lowercase letters, digits, '.' and '-'."
  }
}

variable "artifact_bucket_key" {
  description = "Which entry of buckets holds the ZenML artifact store."
  type        = string
}

variable "log_bucket" {
  description = "S3 bucket that receives the other buckets' access logs."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten object version is kept."
  type        = number

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "Keep old versions at least one day."
  }
}

variable "log_retention_days" {
  description = "Days control-plane, flow and access logs are kept."
  type        = number

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Keep logs at least a year, in a retention CloudWatch accepts (365, 400, 545, 731, ...)."
  }
}

variable "registry_keep_images" {
  description = "How many images the container repository keeps."
  type        = number
}

variable "secret_names" {
  description = "Short names of the secrets the workloads read (store password, alert-channel keys, registry credentials)."
  type        = set(string)
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored."
  type        = number

  validation {
    condition     = var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30
    error_message = "Secrets Manager accepts a recovery window of 7 to 30 days."
  }
}

variable "workloads" {
  description = "One IAM role per workload (IRSA), keyed by workload: its namespace, service account, write rights and secrets."
  type = map(object({
    namespace       = string
    service_account = string
    write_buckets   = bool
    write_store     = bool
    secrets         = list(string)
  }))

  validation {
    condition     = contains(keys(var.workloads), "pipelines") && contains(keys(var.workloads), "services")
    error_message = "The pipelines and services workloads both need an identity."
  }
}

variable "ci" {
  description = "GitHub repository (owner/name, or null for no CI identity) and the GitHub environments whose deploy jobs may act through OIDC."
  type = object({
    repository   = optional(string)
    environments = list(string)
  })

  validation {
    condition     = var.ci.repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.ci.repository))
    error_message = "The CI repository is owner/name."
  }

  validation {
    condition     = alltrue([for environment in var.ci.environments : can(regex("^[a-z][a-z0-9-]{0,19}$", environment))])
    error_message = "Each CI environment is a lower-case name of at most 20 characters."
  }
}

variable "autoscaler_service_account" {
  description = "Namespace and name of the cluster autoscaler's service account, which the platform stage creates."
  type = object({
    namespace = string
    name      = string
  })
}

variable "platform" {
  description = "Namespaces, release names and port of what the platform stage installs (the ZenML server, monitoring)."
  type = object({
    zenml_namespace      = string
    zenml_release        = string
    zenml_port           = number
    monitoring_namespace = string
    monitoring_release   = string
  })
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
}

variable "generator_version" {
  description = "Version of mlopsgen that wrote these values; every resource is tagged with it."
  type        = string
}

variable "system" {
  description = "The system these values were planned for: its name and the sha256 of its spec, tagged on every resource."
  type = object({
    name        = string
    spec_sha256 = string
  })

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.system.spec_sha256))
    error_message = "The spec digest is 64 lowercase hex digits."
  }
}
