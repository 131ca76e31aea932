variable "name" {
  description = "Name prefix of every network resource (the system's Kubernetes name)."
  type        = string
}

variable "cidr" {
  description = "IPv4 range of the VPC; each zone gets one private and one public /20 inside it."
  type        = string
}

variable "zones" {
  description = "Availability zones the network spans, as the plan chose them."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days the VPC flow logs are kept."
  type        = number
}
