variable "name" {
  description = "Name of the repository (the system's Kubernetes name)."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the stack."
  type        = string
}

variable "region" {
  description = "Location of the repository."
  type        = string
}

variable "kms_key_id" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "keep_images" {
  description = "How many versions of each image the repository keeps."
  type        = number
}

variable "labels" {
  description = "Labels on the repository."
  type        = map(string)
}
