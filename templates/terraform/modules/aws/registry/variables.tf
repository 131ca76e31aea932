variable "name" {
  description = "Name of the container repository (the system's Kubernetes name)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "keep_images" {
  description = "How many images the repository keeps; older ones expire."
  type        = number
}
