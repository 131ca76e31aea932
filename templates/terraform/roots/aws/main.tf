# Thin glue: every value comes from terraform.tfvars.json (written from the stack's plan) and
# every resource lives in a reviewed module under modules/. Workloads are not deployed here:
# the platform stage (platform/) installs the ZenML server and monitoring into this cluster,
# and the serving manifests ship separately.
locals {
  kubeconfig_command = "aws eks update-kubeconfig --region ${var.region} --name ${module.cluster.name}"
  zenml_server_url   = "http://${var.platform.zenml_release}.${var.platform.zenml_namespace}.svc.cluster.local:${var.platform.zenml_port}"
}

module "secrets" {
  source = "./modules/secrets"

  name                 = var.name
  secret_names         = var.secret_names
  recovery_window_days = var.secret_recovery_window_days
}

module "network" {
  source = "./modules/network"

  name               = var.name
  cidr               = var.vpc_cidr
  zones              = var.zones
  kms_key_arn        = module.secrets.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "registry" {
  source = "./modules/registry"

  name        = var.name
  kms_key_arn = module.secrets.kms_key_arn
  keep_images = var.registry_keep_images
}

module "ci" {
  source = "./modules/ci"

  name         = var.name
  repository   = var.ci.repository
  environments = var.ci.environments
  registry_arn = module.registry.arn
  cluster_name = var.name
}

module "cluster" {
  source = "./modules/cluster"

  name               = var.name
  kubernetes_version = var.kubernetes_version
  vpc_id             = module.network.vpc_id
  vpc_cidr           = module.network.cidr
  subnet_ids         = module.network.private_subnet_ids
  kms_key_arn        = module.secrets.kms_key_arn
  log_retention_days = var.log_retention_days
  admin_role_arns    = module.ci.role_arns
}

module "node_groups" {
  source = "./modules/node_groups"

  cluster_name       = module.cluster.name
  kubernetes_version = var.kubernetes_version
  subnet_ids         = module.network.private_subnet_ids
  kms_key_arn        = module.secrets.kms_key_arn
  node_groups        = var.node_pools

  oidc_provider_arn          = module.cluster.oidc_provider_arn
  oidc_issuer                = module.cluster.oidc_issuer
  autoscaler_service_account = var.autoscaler_service_account
}

module "storage" {
  source = "./modules/storage"

  buckets            = var.buckets
  log_bucket         = var.log_bucket
  kms_key_arn        = module.secrets.kms_key_arn
  noncurrent_days    = var.noncurrent_version_days
  log_retention_days = var.log_retention_days
}

module "online_store" {
  source = "./modules/online_store"

  name            = var.name
  vpc_id          = module.network.vpc_id
  vpc_cidr        = module.network.cidr
  subnet_ids      = module.network.private_subnet_ids
  kms_key_arn     = module.secrets.kms_key_arn
  auth_secret_arn = module.secrets.secret_arns[var.online_store_secret]
  online_store    = var.online_store
}

module "identities" {
  source = "./modules/identities"

  name              = var.name
  oidc_provider_arn = module.cluster.oidc_provider_arn
  oidc_issuer       = module.cluster.oidc_issuer
  workloads         = var.workloads
  bucket_arns       = values(module.storage.bucket_arns)
  table_arns        = module.online_store.table_arns
  secret_arns       = module.secrets.secret_arns
  kms_key_arn       = module.secrets.kms_key_arn
}
