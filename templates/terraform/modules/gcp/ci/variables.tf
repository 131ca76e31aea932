variable "name" {
  description = "Name prefix of the CI identity (the system's Kubernetes name)."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "repository" {
  description = "GitHub repository (owner/name) whose workflows may deploy; nothing is created while it is null."
  type        = string
  nullable    = true
}

variable "environments" {
  description = "GitHub environments whose deploy jobs may deploy: one service account each."
  type        = list(string)
}

variable "registry_id" {
  description = "ID of the Artifact Registry repository the CI pushes images to."
  type        = string
}
