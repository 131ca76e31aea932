variable "name" {
  description = "Name prefix of every network resource (the system's Kubernetes name)."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "region" {
  description = "Region of the subnet, router and NAT."
  type        = string
}

variable "cidr" {
  description = "Primary IPv4 range of the nodes' subnet; pods and services get secondary ranges."
  type        = string
}

variable "pods_cidr" {
  description = "Secondary IPv4 range of the pods."
  type        = string
}

variable "services_cidr" {
  description = "Secondary IPv4 range of the services."
  type        = string
}
