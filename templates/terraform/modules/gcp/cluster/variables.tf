variable "name" {
  description = "Name of the GKE cluster."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "region" {
  description = "Region of the (regional) cluster."
  type        = string
}

variable "zones" {
  description = "Zones the cluster's nodes run in, as the plan chose them."
  type        = list(string)
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, as the plan chose it."
  type        = string
}

variable "network" {
  description = "ID of the VPC."
  type        = string
}

variable "subnetwork" {
  description = "Name of the nodes' subnet (with the pods and services secondary ranges)."
  type        = string
}

variable "master_cidr" {
  description = "The /28 range of the control plane's private endpoint."
  type        = string
}

variable "authorized_cidr" {
  description = "The only range allowed to reach the private API endpoint (the nodes' subnet)."
  type        = string
}

variable "kms_key_id" {
  description = "KMS key that encrypts Kubernetes secrets in etcd."
  type        = string
}

variable "node_service_account" {
  description = "Service account of the nodes (of the default pool, removed right after creation)."
  type        = string
}
