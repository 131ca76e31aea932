# GitHub Actions deploys without long-lived keys: Workload Identity Federation accepts the
# OIDC tokens of one repository and branch only, and lets them act as a CI service account
# that may push images and deploy to the cluster.
locals {
  enabled = var.repository == null ? {} : {
    this = { owner = split("/", var.repository)[0], name = split("/", var.repository)[1] }
  }
}

resource "google_iam_workload_identity_pool" "github" {
  for_each = local.enabled

  project                   = var.project_id
  workload_identity_pool_id = "${substr(var.name, 0, 25)}-ci"
  display_name              = "GitHub Actions"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  for_each = local.enabled

  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github[each.key].workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub Actions OIDC"
  attribute_condition                = "assertion.sub == 'repo:${each.value.owner}/${each.value.name}:ref:refs/heads/${var.branch}'"
  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci" {
  for_each = local.enabled

  project      = var.project_id
  account_id   = "${substr(var.name, 0, 26)}-ci"
  display_name = "CI deploys of ${var.name}"
}

resource "google_service_account_iam_member" "ci" {
  for_each = local.enabled

  service_account_id = google_service_account.ci[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github[each.key].name}/attribute.repository/${each.value.owner}/${each.value.name}"
}

resource "google_artifact_registry_repository_iam_member" "ci" {
  for_each = local.enabled

  repository = var.registry_id
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.ci[each.key].member
}

resource "google_project_iam_member" "ci" {
  for_each = local.enabled

  project = var.project_id
  role    = "roles/container.developer"
  member  = google_service_account.ci[each.key].member
}
