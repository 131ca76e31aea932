variable "name" {
  description = "Name prefix of the key and of every secret (the system's Kubernetes name)."
  type        = string
}

variable "secret_names" {
  description = "Secrets the stack reads by name (store passwords, alert-channel keys, registry credentials); values are set outside Terraform, except those a module writes itself."
  type        = set(string)
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
}
