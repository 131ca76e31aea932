terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      "mlopsgen:system"      = var.system.name
      "mlopsgen:spec-sha256" = var.system.spec_sha256
      "mlopsgen:version"     = var.generator_version
    })
  }
}
