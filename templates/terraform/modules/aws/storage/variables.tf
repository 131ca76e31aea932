variable "buckets" {
  description = "Buckets of the stack keyed by role (artifacts, offline store), with their globally unique names."
  type        = map(string)
}

variable "log_bucket" {
  description = "Name of the bucket that receives the other buckets' access logs."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the data buckets."
  type        = string
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted object version is kept before it expires."
  type        = number
}

variable "log_retention_days" {
  description = "Days access logs are kept."
  type        = number
}
