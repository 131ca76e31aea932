# Artifact and offline-store buckets: CMEK encryption, versioning, uniform bucket-level access,
# public access prevention enforced, lifecycle rules for old versions, usage logs to a log
# bucket.
resource "google_storage_bucket" "this" {
  for_each = var.buckets

  name                        = each.value
  project                     = var.project_id
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = var.kms_key_id
  }

  logging {
    log_bucket        = google_storage_bucket.logs.name
    log_object_prefix = each.key
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_days
      with_state                 = "ARCHIVED"
    }

    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "logs" {
  #checkov:skip=CKV_GCP_62:This is the usage-log bucket; logging it into itself would loop.
  name                        = var.log_bucket
  project                     = var.project_id
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = var.kms_key_id
  }

  lifecycle_rule {
    condition {
      age = var.log_retention_days
    }

    action {
      type = "Delete"
    }
  }
}
