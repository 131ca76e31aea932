terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
  }
}

# The cluster exists before this stage runs: its endpoint and certificate come from the cluster
# root's state, never from a cluster created in the same apply.
provider "helm" {
  kubernetes = {
    host                   = local.cluster.cluster_endpoint
    cluster_ca_certificate = base64decode(local.cluster.cluster_certificate_authority)

    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--region", local.cluster.region, "--cluster-name", local.cluster.cluster_name]
    }
  }
}
