# One node pool per plan pool (for_each) over the plan's zones: the plan's machine type and
# autoscaling bounds for the whole pool, shielded nodes with secure boot, the GKE metadata
# server only (Workload Identity), CMEK boot disks, auto-repair and auto-upgrade, and GPUs with
# their driver, taints and labels.
resource "google_container_node_pool" "this" {
  for_each = var.node_pools

  name               = each.key
  project            = var.project_id
  cluster            = var.cluster_id
  node_locations     = var.zones
  version            = var.kubernetes_version
  initial_node_count = ceil(each.value.desired_size / length(var.zones))

  autoscaling {
    total_min_node_count = each.value.min_size
    total_max_node_count = each.value.max_size
    location_policy      = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type      = each.value.instance_type
    spot              = each.value.capacity_type == "SPOT"
    service_account   = var.service_account
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type        = "COS_CONTAINERD"
    disk_size_gb      = each.value.disk_size_gib
    disk_type         = "pd-balanced"
    boot_disk_kms_key = var.kms_key_id
    labels            = each.value.labels
    metadata          = { disable-legacy-endpoints = "true" }

    dynamic "taint" {
      for_each = each.value.taints

      content {
        key    = taint.value.key
        value  = taint.value.value
        effect = taint.value.effect
      }
    }

    dynamic "guest_accelerator" {
      for_each = each.value.gpus > 0 ? [each.value.gpu_type] : []

      content {
        type  = guest_accelerator.value
        count = each.value.gpus

        gpu_driver_installation_config {
          gpu_driver_version = "LATEST"
        }
      }
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  # The autoscaler moves the node count between the bounds; Terraform keeps the bounds.
  lifecycle {
    ignore_changes = [initial_node_count]
  }
}
