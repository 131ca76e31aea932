# The stack's customer-managed key (cluster secrets, node disks, buckets, registry, Bigtable,
# secrets), the Google service agents allowed to use it, and the Secret Manager entries the
# workloads read by name. Secret values never pass through Terraform.
data "google_project" "this" {
  project_id = var.project_id
}

locals {
  number = data.google_project.this.number
  agents = {
    artifact_registry = "serviceAccount:service-${local.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    bigtable          = "serviceAccount:service-${local.number}@gcp-sa-bigtable.iam.gserviceaccount.com"
    compute           = "serviceAccount:service-${local.number}@compute-system.iam.gserviceaccount.com"
    kubernetes        = "serviceAccount:service-${local.number}@container-engine-robot.iam.gserviceaccount.com"
    secret_manager    = "serviceAccount:service-${local.number}@gcp-sa-secretmanager.iam.gserviceaccount.com"
    storage           = "serviceAccount:service-${local.number}@gs-project-accounts.iam.gserviceaccount.com"
  }
}

resource "google_kms_key_ring" "this" {
  name     = var.name
  project  = var.project_id
  location = var.region
}

resource "google_kms_crypto_key" "this" {
  name            = var.name
  key_ring        = google_kms_key_ring.this.id
  rotation_period = var.rotation_period
  purpose         = "ENCRYPT_DECRYPT"

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "agents" {
  for_each = local.agents

  crypto_key_id = google_kms_crypto_key.this.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
}

resource "google_secret_manager_secret" "this" {
  for_each = var.secret_names

  project   = var.project_id
  secret_id = "${var.name}-${each.key}"

  labels = { system = var.name }

  replication {
    user_managed {
      replicas {
        location = var.region

        customer_managed_encryption {
          kms_key_name = google_kms_crypto_key.this.id
        }
      }
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}
