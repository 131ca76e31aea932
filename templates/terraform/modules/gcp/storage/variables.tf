variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "region" {
  description = "Location of the buckets."
  type        = string
}

variable "buckets" {
  description = "Buckets of the stack keyed by role (artifacts, offline store), with their globally unique names."
  type        = map(string)
}

variable "log_bucket" {
  description = "Name of the bucket that receives the other buckets' usage logs."
  type        = string
}

variable "kms_key_id" {
  description = "KMS key that encrypts the buckets."
  type        = string
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted object version is kept before it is deleted."
  type        = number
}

variable "log_retention_days" {
  description = "Days usage logs are kept."
  type        = number
}

variable "labels" {
  description = "Labels on every bucket."
  type        = map(string)
}
