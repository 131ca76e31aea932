variable "name" {
  description = "Name prefix of the workload service accounts (the system's Kubernetes name)."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "workloads" {
  description = "One service account per workload, keyed by workload: the Kubernetes service account it trusts and what it may write."
  type = map(object({
    namespace       = string
    service_account = string
    write_buckets   = bool
    write_store     = bool
    secrets         = list(string)
  }))
}

variable "bucket_names" {
  description = "Names of the stack's buckets."
  type        = list(string)
}

variable "secret_ids" {
  description = "ID of each secret, keyed by short name."
  type        = map(string)
}

variable "online_store_kind" {
  description = "Kind of the online store (redis, bigtable or none): which data role the workloads get."
  type        = string
}

variable "bigtable_instance" {
  description = "Name of the Bigtable instance (empty for Redis)."
  type        = string
}

variable "registry_id" {
  description = "ID of the Artifact Registry repository the nodes pull from."
  type        = string
}
