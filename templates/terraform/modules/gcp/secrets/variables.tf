variable "name" {
  description = "Name prefix of the key ring and of every secret (the system's Kubernetes name)."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "region" {
  description = "Region of the key ring and of the secrets' replicas."
  type        = string
}

variable "secret_names" {
  description = "Secrets the stack reads by name (store passwords, alert-channel keys, registry credentials); values are set outside Terraform."
  type        = set(string)
}

variable "rotation_period" {
  description = "How often the stack's KMS key rotates, in seconds with an s suffix."
  type        = string
}
