output "emails" {
  description = "Email of each workload's service account, keyed by workload; annotate its Kubernetes service account with it."
  value       = { for key, account in google_service_account.this : key => account.email }
}

output "node_service_account" {
  description = "Email of the nodes' service account."
  value       = google_service_account.nodes.email
}
