output "name" {
  description = "Name of the cluster."
  value       = google_container_cluster.this.name
}

output "id" {
  description = "ID of the cluster."
  value       = google_container_cluster.this.id
}

output "endpoint" {
  description = "Private endpoint of the Kubernetes API."
  value       = google_container_cluster.this.private_cluster_config[0].private_endpoint
}

output "certificate_authority" {
  description = "Base64 certificate authority of the Kubernetes API."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
}
