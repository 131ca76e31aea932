output "service_accounts" {
  description = "Email of the CI service account of each GitHub environment, keyed by environment (empty while no repository is set)."
  value       = { for environment, account in google_service_account.ci : environment => account.email }
}

output "workload_identity_providers" {
  description = "Full name of the GitHub provider, for google-github-actions/auth (empty while no repository is set)."
  value       = [for provider in google_iam_workload_identity_pool_provider.github : provider.name]
}
