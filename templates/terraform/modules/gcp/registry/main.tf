# One Artifact Registry Docker repository for the stack's images: immutable tags, CMEK
# encryption and a cleanup policy that keeps the newest versions.
resource "google_artifact_registry_repository" "this" {
  repository_id = var.name
  project       = var.project_id
  location      = var.region
  format        = "DOCKER"
  description   = "Pipeline and service images"
  kms_key_name  = var.kms_key_id
  labels        = var.labels

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "keep-newest"
    action = "KEEP"

    most_recent_versions {
      keep_count = var.keep_images
    }
  }
}
