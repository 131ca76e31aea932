output "kms_key_id" {
  description = "ID of the stack's KMS key."
  value       = google_kms_crypto_key.this.id
}

output "secret_ids" {
  description = "ID of each secret, keyed by its short name."
  value       = { for key, secret in google_secret_manager_secret.this : key => secret.id }
}

output "secret_names" {
  description = "Secret Manager name of each secret, keyed by its short name."
  value       = { for key, secret in google_secret_manager_secret.this : key => secret.secret_id }
}

output "project_number" {
  description = "Number of the project, for workload identity members."
  value       = local.number
}
