# Thin glue: every value comes from terraform.tfvars.json (written from the stack's plan) and
# every resource lives in a reviewed module under modules/. Workloads are not deployed here:
# the platform stage (platform/) installs the ZenML server and monitoring into this cluster,
# and the serving manifests ship separately.
locals {
  kubeconfig_command = "gcloud container clusters get-credentials ${module.cluster.name} --region ${var.region} --project ${var.project_id} --internal-ip"
  zenml_server_url   = "http://${var.platform.zenml_release}.${var.platform.zenml_namespace}.svc.cluster.local:${var.platform.zenml_port}"
}

module "secrets" {
  source = "./modules/secrets"

  name            = var.name
  project_id      = var.project_id
  region          = var.region
  secret_names    = var.secret_names
  rotation_period = var.key_rotation_period
}

module "network" {
  source = "./modules/network"

  name          = var.name
  project_id    = var.project_id
  region        = var.region
  cidr          = var.vpc_cidr
  pods_cidr     = var.pods_cidr
  services_cidr = var.services_cidr
}

module "registry" {
  source = "./modules/registry"

  name        = var.name
  project_id  = var.project_id
  region      = var.region
  kms_key_id  = module.secrets.kms_key_id
  keep_images = var.registry_keep_images
  labels      = var.labels
}

module "storage" {
  source = "./modules/storage"

  project_id         = var.project_id
  region             = var.region
  buckets            = var.buckets
  log_bucket         = var.log_bucket
  kms_key_id         = module.secrets.kms_key_id
  noncurrent_days    = var.noncurrent_version_days
  log_retention_days = var.log_retention_days
  labels             = var.labels
}

module "online_store" {
  source = "./modules/online_store"

  name         = var.name
  project_id   = var.project_id
  region       = var.region
  zones        = var.zones
  network_id   = module.network.network_id
  subnet_id    = module.network.subnet_id
  kms_key_id   = module.secrets.kms_key_id
  labels       = var.labels
  online_store = var.online_store
}

module "identities" {
  source = "./modules/identities"

  name              = var.name
  project_id        = var.project_id
  workloads         = var.workloads
  bucket_names      = values(module.storage.bucket_names)
  secret_ids        = module.secrets.secret_ids
  online_store_kind = var.online_store.kind
  bigtable_instance = module.online_store.bigtable_instance
  registry_id       = module.registry.id
}

module "cluster" {
  source = "./modules/cluster"

  name                 = var.name
  project_id           = var.project_id
  region               = var.region
  zones                = var.zones
  kubernetes_version   = var.kubernetes_version
  network              = module.network.network_id
  subnetwork           = module.network.subnet_name
  master_cidr          = var.master_cidr
  authorized_cidr      = module.network.subnet_cidr
  kms_key_id           = module.secrets.kms_key_id
  node_service_account = module.identities.node_service_account
}

module "node_pools" {
  source = "./modules/node_pools"

  cluster_id         = module.cluster.id
  project_id         = var.project_id
  zones              = var.zones
  kubernetes_version = var.kubernetes_version
  service_account    = module.identities.node_service_account
  kms_key_id         = module.secrets.kms_key_id
  node_pools         = var.node_pools
}

module "ci" {
  source = "./modules/ci"

  name         = var.name
  project_id   = var.project_id
  repository   = var.ci.repository
  environments = var.ci.environments
  registry_id  = module.registry.id
}
