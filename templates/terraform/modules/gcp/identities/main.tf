# One Google service account per workload, bound to exactly one Kubernetes service account
# through Workload Identity, with access to the stack's own buckets, secrets and online store
# only; and the nodes' own minimal service account (logs, metrics, image pulls).
locals {
  bucket_grants = merge([
    for workload, spec in var.workloads : {
      for bucket in var.bucket_names : "${workload}/${bucket}" => {
        workload = workload
        bucket   = bucket
        role     = spec.write_buckets ? "roles/storage.objectUser" : "roles/storage.objectViewer"
      }
    }
  ]...)
  secret_grants = merge([
    for workload, spec in var.workloads : {
      for secret in spec.secrets : "${workload}/${secret}" => { workload = workload, secret = secret }
    }
  ]...)
  node_roles = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
  ])
}

resource "google_service_account" "this" {
  for_each = var.workloads

  project      = var.project_id
  account_id   = "${substr(var.name, 0, 20)}-${substr(each.key, 0, 9)}"
  display_name = "${each.key} workload of ${var.name}"
}

resource "google_service_account_iam_member" "workload_identity" {
  for_each = var.workloads

  service_account_id = google_service_account.this[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${each.value.namespace}/${each.value.service_account}]"
}

resource "google_storage_bucket_iam_member" "this" {
  for_each = local.bucket_grants

  bucket = each.value.bucket
  role   = each.value.role
  member = google_service_account.this[each.value.workload].member
}

resource "google_secret_manager_secret_iam_member" "this" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = var.secret_ids[each.value.secret]
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.this[each.value.workload].member
}

resource "google_bigtable_instance_iam_member" "this" {
  for_each = var.online_store_kind == "bigtable" ? var.workloads : {}

  project  = var.project_id
  instance = var.bigtable_instance
  role     = each.value.write_store ? "roles/bigtable.user" : "roles/bigtable.reader"
  member   = google_service_account.this[each.key].member
}

resource "google_project_iam_member" "redis" {
  for_each = var.online_store_kind == "redis" ? var.workloads : {}

  project = var.project_id
  role    = "roles/redis.dbConnectionUser"
  member  = google_service_account.this[each.key].member
}

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${substr(var.name, 0, 24)}-nodes"
  display_name = "Nodes of ${var.name}"
}

resource "google_project_iam_member" "nodes" {
  for_each = local.node_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.nodes.member
}

resource "google_artifact_registry_repository_iam_member" "nodes" {
  repository = var.registry_id
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.nodes.member
}
