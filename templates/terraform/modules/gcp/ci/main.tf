# GitHub Actions deploys without long-lived keys: Workload Identity Federation accepts only the
# OIDC tokens of the deploy jobs of one repository's GitHub environments (subject
# repo:OWNER/NAME:environment:ENV, issued once the environment's protection rules, such as
# required reviewers, have passed). Each environment acts as its own CI service account, bound
# to that subject alone, which may push images and deploy to the cluster.
locals {
  enabled = var.repository == null ? {} : {
    this = { owner = split("/", var.repository)[0], name = split("/", var.repository)[1] }
  }
  environments = var.repository == null ? toset([]) : toset(var.environments)
  subjects     = { for environment in local.environments : environment => "repo:${var.repository}:environment:${environment}" }
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
  attribute_condition                = "assertion.sub == 'repo:${each.value.owner}/${each.value.name}:environment:' + assertion.environment && assertion.environment in ${jsonencode(var.environments)}"
  attribute_mapping = {
    "google.subject"        = "assertion.sub"
    "attribute.repository"  = "assertion.repository"
    "attribute.environment" = "assertion.environment"
  }

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci" {
  for_each = local.environments

  project      = var.project_id
  account_id   = "${substr(var.name, 0, 26 - length(each.key))}-ci-${each.key}"
  display_name = "CI deploys of ${var.name} (${each.key})"
}

resource "google_service_account_iam_member" "ci" {
  for_each = local.environments

  service_account_id = google_service_account.ci[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principal://iam.googleapis.com/${google_iam_workload_identity_pool.github["this"].name}/subject/${local.subjects[each.key]}"
}

resource "google_artifact_registry_repository_iam_member" "ci" {
  for_each = local.environments

  repository = var.registry_id
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.ci[each.key].member
}

resource "google_project_iam_member" "ci" {
  for_each = local.environments

  project = var.project_id
  role    = "roles/container.developer"
  member  = google_service_account.ci[each.key].member
}
