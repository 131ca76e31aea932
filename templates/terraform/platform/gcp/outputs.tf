output "zenml_server_url" {
  description = "In-cluster URL of the ZenML server."
  value       = local.cluster.zenml_server_url
}

output "monitoring_namespace" {
  description = "Namespace of Prometheus, Alertmanager and Grafana."
  value       = helm_release.monitoring.namespace
}

output "alert_rule_groups" {
  description = "Names of the Prometheus rule groups loaded from the monitoring folder."
  value       = keys(local.rules)
}
