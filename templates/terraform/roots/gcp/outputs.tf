# The outputs every consumer reads by name (ZenML stack registration, Feast cloud config,
# serving manifests, CI): `terraform -chdir=infra output -raw <name>`.
output "cluster_name" {
  description = "Name of the GKE cluster."
  value       = module.cluster.name
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API (reachable from inside the VPC)."
  value       = module.cluster.endpoint
}

output "region" {
  description = "Google Cloud region of the stack."
  value       = var.region
}

output "registry_url" {
  description = "Artifact Registry URL the pipeline and service images are pushed to."
  value       = module.registry.url
}

output "artifact_bucket" {
  description = "GCS bucket of the ZenML artifact store."
  value       = module.storage.bucket_names[var.artifact_bucket_key]
}

output "online_store_endpoint" {
  description = "Endpoint of the online feature store (Redis discovery endpoint with port, or the Bigtable instance)."
  value       = module.online_store.endpoint
}

output "zenml_server_url" {
  description = "In-cluster URL of the ZenML server the platform stage installs."
  value       = local.zenml_server_url
}

output "pipelines_identity" {
  description = "Service account email of the pipelines (Workload Identity)."
  value       = module.identities.emails["pipelines"]
}

output "services_identity" {
  description = "Service account email of the serving workloads (Workload Identity)."
  value       = module.identities.emails["services"]
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = local.kubeconfig_command
}

output "project_id" {
  description = "Google Cloud project of the stack, for the platform stage."
  value       = var.project_id
}

output "cluster_certificate_authority" {
  description = "Base64 certificate authority of the Kubernetes API, for the platform stage."
  value       = module.cluster.certificate_authority
}

output "workload_identities" {
  description = "Service account email of every workload, keyed by workload."
  value       = module.identities.emails
}

output "bucket_names" {
  description = "Every bucket of the stack, keyed by role."
  value       = module.storage.bucket_names
}

output "secret_names" {
  description = "Secret Manager ID of every secret, keyed by short name (values are never output)."
  value       = module.secrets.secret_names
}

output "ci_service_accounts" {
  description = "Service account the CI deploy jobs of each GitHub environment act as through Workload Identity Federation, keyed by environment (empty while no repository is set)."
  value       = module.ci.service_accounts
}

output "ci_workload_identity_providers" {
  description = "Workload identity provider for google-github-actions/auth (empty while no repository is set)."
  value       = module.ci.workload_identity_providers
}

output "platform" {
  description = "Namespaces and release names the platform stage installs into."
  value       = var.platform
}
