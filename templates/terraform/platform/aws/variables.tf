variable "cluster_state" {
  description = "Where the cluster root keeps its state: a terraform_remote_state backend and its settings (local by default)."
  type = object({
    backend = string
    config  = map(string)
  })

  validation {
    condition     = contains(["local", "s3", "gcs"], var.cluster_state.backend)
    error_message = "The cluster state is read from a local, s3 or gcs backend."
  }
}

variable "zenml_chart_version" {
  description = "Version of the ZenML server Helm chart (the ZenML release the pipelines use)."
  type        = string
}

variable "monitoring_chart_version" {
  description = "Version of the kube-prometheus-stack Helm chart."
  type        = string
}

variable "monitoring_rules_dir" {
  description = "Folder of the stack's Prometheus rule files, relative to this stage; rules load when it exists."
  type        = string
}

variable "generator_version" {
  description = "Version of mlopsgen that wrote these values; the Helm releases name it."
  type        = string
}

variable "system" {
  description = "The system these values were planned for: its name and the sha256 of its spec."
  type = object({
    name        = string
    spec_sha256 = string
  })
}

variable "autoscaler_chart_version" {
  description = "Version of the cluster-autoscaler Helm chart."
  type        = string
}
