output "network_id" {
  description = "ID of the VPC."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "subnet_name" {
  description = "Name of the nodes' subnet."
  value       = google_compute_subnetwork.this.name
}

output "subnet_cidr" {
  description = "Primary IPv4 range of the nodes' subnet."
  value       = google_compute_subnetwork.this.ip_cidr_range
}

output "subnet_id" {
  description = "ID of the nodes' subnet."
  value       = google_compute_subnetwork.this.id
}
