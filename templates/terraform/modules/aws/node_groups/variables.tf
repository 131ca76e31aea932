variable "cluster_name" {
  description = "EKS cluster the node groups join."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the nodes, equal to the control plane's."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (one per zone) the node groups spread over."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the nodes' root volumes."
  type        = string
}

variable "node_groups" {
  description = "Node groups keyed by pool name, with the plan's instance type, node counts, autoscaling bounds, labels and taints."
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
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's OIDC provider, trusted by the cluster autoscaler's role."
  type        = string
}

variable "oidc_issuer" {
  description = "Issuer of the cluster's service-account tokens, without https://."
  type        = string
}

variable "autoscaler_service_account" {
  description = "Namespace and name of the cluster autoscaler's Kubernetes service account."
  type = object({
    namespace = string
    name      = string
  })
}
