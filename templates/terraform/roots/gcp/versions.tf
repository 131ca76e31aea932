terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = merge(var.labels, {
    mlopsgen-system  = var.system.name
    mlopsgen-spec    = substr(var.system.spec_sha256, 0, 63)
    mlopsgen-version = replace(var.generator_version, ".", "-")
  })
}
