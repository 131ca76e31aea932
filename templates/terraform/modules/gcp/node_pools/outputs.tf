output "node_pools" {
  description = "Bounds of each node pool, keyed by pool name."
  value = {
    for key, pool in google_container_node_pool.this : key => {
      min_size = pool.autoscaling[0].total_min_node_count
      max_size = pool.autoscaling[0].total_max_node_count
    }
  }
}
