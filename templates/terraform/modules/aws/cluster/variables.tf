variable "name" {
  description = "Name of the EKS cluster."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, as the plan chose it."
  type        = string
}

variable "vpc_id" {
  description = "VPC the cluster lives in."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC; the only range that may reach the private API endpoint."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (one per zone) for the control-plane network interfaces."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts Kubernetes secrets and the control-plane log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days the control-plane logs are kept."
  type        = number
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin access through EKS access entries (the CI deploy roles), keyed by a name known before apply."
  type        = map(string)
}
