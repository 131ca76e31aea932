variable "name" {
  description = "Name prefix of the workload roles (the system's Kubernetes name)."
  type        = string
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's OIDC provider."
  type        = string
}

variable "oidc_issuer" {
  description = "Issuer of the cluster's service-account tokens, without https://."
  type        = string
}

variable "workloads" {
  description = "One IAM role per workload, keyed by workload: the Kubernetes service account it trusts and what it may write."
  type = map(object({
    namespace       = string
    service_account = string
    write_buckets   = bool
    write_store     = bool
    secrets         = list(string)
  }))
}

variable "bucket_arns" {
  description = "ARNs of the stack's buckets."
  type        = list(string)
}

variable "table_arns" {
  description = "ARNs of the DynamoDB online-store tables (empty for Redis)."
  type        = list(string)
}

variable "secret_arns" {
  description = "ARN of each secret, keyed by short name."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key the workloads decrypt (and encrypt with) to use buckets, tables and secrets."
  type        = string
}
