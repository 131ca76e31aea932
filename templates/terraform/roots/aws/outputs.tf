# The outputs every consumer reads by name (ZenML stack registration, Feast cloud config,
# serving manifests, CI): `terraform -chdir=infra output -raw <name>`.
output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.cluster.name
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API (reachable from inside the VPC)."
  value       = module.cluster.endpoint
}

output "region" {
  description = "AWS region of the stack."
  value       = var.region
}

output "registry_url" {
  description = "ECR repository URL the pipeline and service images are pushed to."
  value       = module.registry.url
}

output "artifact_bucket" {
  description = "S3 bucket of the ZenML artifact store."
  value       = module.storage.bucket_names[var.artifact_bucket_key]
}

output "online_store_endpoint" {
  description = "Endpoint of the online feature store (Redis configuration endpoint with port, or the DynamoDB endpoint)."
  value       = module.online_store.endpoint
}

output "zenml_server_url" {
  description = "In-cluster URL of the ZenML server the platform stage installs."
  value       = local.zenml_server_url
}

output "pipelines_identity" {
  description = "IAM role ARN of the pipelines' service account (IRSA)."
  value       = module.identities.role_arns["pipelines"]
}

output "services_identity" {
  description = "IAM role ARN of the serving workloads' service account (IRSA)."
  value       = module.identities.role_arns["services"]
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = local.kubeconfig_command
}

output "cluster_certificate_authority" {
  description = "Base64 certificate authority of the Kubernetes API, for the platform stage."
  value       = module.cluster.certificate_authority
}

output "workload_identities" {
  description = "IAM role ARN of every workload, keyed by workload."
  value       = module.identities.role_arns
}

output "bucket_names" {
  description = "Every bucket of the stack, keyed by role."
  value       = module.storage.bucket_names
}

output "secret_names" {
  description = "Secrets Manager name of every secret, keyed by short name (values are never output)."
  value       = module.secrets.secret_names
}

output "ci_role_arns" {
  description = "IAM role the CI deploy jobs of each GitHub environment assume through OIDC, keyed by environment (empty while no repository is set)."
  value       = module.ci.role_arns
}

output "platform" {
  description = "Namespaces and release names the platform stage installs into."
  value       = var.platform
}

output "kubernetes_version" {
  description = "Kubernetes minor version of the cluster, for the platform stage's autoscaler."
  value       = var.kubernetes_version
}

output "autoscaler" {
  description = "Service account and IAM role of the cluster autoscaler, for the platform stage."
  value = {
    namespace = var.autoscaler_service_account.namespace
    name      = var.autoscaler_service_account.name
    role_arn  = module.node_groups.autoscaler_role_arn
  }
}
