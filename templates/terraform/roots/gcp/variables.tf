# Every value is set in terraform.tfvars.json, written from the stack's plan; the validation
# blocks catch a hand-edited file before Google Cloud does.

variable "name" {
  description = "The system's Kubernetes name; prefixes every resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name))
    error_message = "The name is lowercase letters, digits and '-', 2 to 40 characters, as EKS and IAM names allow."
  }
}

variable "project_id" {
  description = "Google Cloud project of the stack; set it before the first plan."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "A project ID is 6 to 30 lowercase letters, digits and '-'."
  }
}

variable "region" {
  description = "Google Cloud region of the stack."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "The region is a Google Cloud region name such as europe-west4."
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

variable "pods_cidr" {
  description = "Secondary IPv4 range of the pods."
  type        = string

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "The range is an IPv4 CIDR block."
  }
}

variable "services_cidr" {
  description = "Secondary IPv4 range of the services."
  type        = string

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "The range is an IPv4 CIDR block."
  }
}

variable "master_cidr" {
  description = "The /28 IPv4 range of the control plane's private endpoint."
  type        = string

  validation {
    condition     = can(cidrhost(var.master_cidr, 0))
    error_message = "The range is an IPv4 CIDR block."
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
    gpu_type      = optional(string)
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
    condition     = alltrue([for pool in values(var.node_pools) : contains(["STANDARD", "SPOT"], pool.capacity_type)])
    error_message = "A capacity type is STANDARD or SPOT."
  }

  validation {
    condition = alltrue(flatten([
      for pool in values(var.node_pools) : [
        for taint in pool.taints : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], taint.effect)
      ]
    ]))
    error_message = "A taint effect is NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }

  validation {
    condition     = alltrue([for pool in values(var.node_pools) : pool.gpus == 0 || pool.gpu_type != null])
    error_message = "A pool with GPUs names their accelerator type."
  }
}

variable "online_store" {
  description = "The plan's online store: kind (redis, bigtable or none), node type, shards and replicas per shard, Bigtable clusters and nodes per cluster."
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

  validation {
    condition     = var.online_store.kind != "redis" || (var.online_store.shards >= 1 && var.online_store.node_type != null)
    error_message = "A Redis online store needs at least one shard and a node type."
  }

  validation {
    condition     = var.online_store.kind != "bigtable" || (var.online_store.clusters >= 1 && var.online_store.clusters <= length(var.zones) && var.online_store.nodes_per_cluster >= 1)
    error_message = "A Bigtable store needs one to one-per-zone clusters with at least one node each."
  }
}

variable "buckets" {
  description = "GCS buckets keyed by role (artifacts, offline store)."
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
  description = "GCS bucket that receives the other buckets' usage logs."
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
  description = "Days bucket usage logs are kept."
  type        = number

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "Keep logs at least a year."
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

variable "key_rotation_period" {
  description = "How often the stack's KMS key rotates, in seconds with an s suffix."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+s$", var.key_rotation_period)) && tonumber(trimsuffix(var.key_rotation_period, "s")) <= 7776000
    error_message = "Rotate the key at least every 90 days (7776000s)."
  }
}

variable "workloads" {
  description = "One service account per workload (Workload Identity), keyed by workload: its namespace, service account, write rights and secrets."
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

variable "labels" {
  description = "Labels on every resource."
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
