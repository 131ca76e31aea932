variable "name" {
  description = "Name prefix of the CI role (the system's Kubernetes name)."
  type        = string
}

variable "repository" {
  description = "GitHub repository (owner/name) whose workflows may deploy; no role is created while it is null."
  type        = string
  nullable    = true
}

variable "environments" {
  description = "GitHub environments whose deploy jobs may assume a role: one role each."
  type        = list(string)
}

variable "registry_arn" {
  description = "ECR repository the CI pushes images to."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster the CI deploys to."
  type        = string
}
