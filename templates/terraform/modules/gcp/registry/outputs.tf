output "url" {
  description = "URL images are pushed to: host, project and repository."
  value       = "${google_artifact_registry_repository.this.location}-docker.pkg.dev/${google_artifact_registry_repository.this.project}/${google_artifact_registry_repository.this.repository_id}"
}

output "id" {
  description = "ID of the repository."
  value       = google_artifact_registry_repository.this.id
}
