terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
  }
}

provider "google" {
  project = local.cluster.project_id
  region  = local.cluster.region
}

data "google_client_config" "this" {}

# The cluster exists before this stage runs: its endpoint and certificate come from the cluster
# root's state, never from a cluster created in the same apply.
provider "helm" {
  kubernetes = {
    host                   = "https://${local.cluster.cluster_endpoint}"
    cluster_ca_certificate = base64decode(local.cluster.cluster_certificate_authority)
    token                  = data.google_client_config.this.access_token
  }
}
