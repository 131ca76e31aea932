variable "cluster_id" {
  description = "ID of the GKE cluster the pools join."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "zones" {
  description = "Zones every pool spreads over, as the plan chose them."
  type        = list(string)
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the nodes, equal to the control plane's."
  type        = string
}

variable "service_account" {
  description = "Service account of every node."
  type        = string
}

variable "kms_key_id" {
  description = "KMS key that encrypts the nodes' boot disks."
  type        = string
}

variable "node_pools" {
  description = "Node pools keyed by pool name, with the plan's machine type, node counts, autoscaling bounds (whole pool), GPUs, labels and taints."
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
}
