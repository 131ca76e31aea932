# The platform stage: what runs inside the cluster for every stack, installed through Helm
# after the cluster root has been applied. Serving workloads are not here: CD deploys them.
data "terraform_remote_state" "cluster" {
  backend = var.cluster_state.backend
  config  = var.cluster_state.config
}

locals {
  description = "${var.system.name}, planned by mlopsgen ${var.generator_version} from spec sha256 ${var.system.spec_sha256}"
  cluster     = data.terraform_remote_state.cluster.outputs
  platform    = local.cluster.platform

  # Every YAML file under the monitoring folder that holds Prometheus rule groups.
  rules_root = "${path.module}/${var.monitoring_rules_dir}"
  rule_files = [
    for file in fileset(local.rules_root, "**/*.y*ml") : file
    if can(yamldecode(file("${local.rules_root}/${file}")).groups)
  ]
  rules = {
    for file in local.rule_files :
    replace(trimsuffix(trimsuffix(file, ".yaml"), ".yml"), "/", "-") => yamldecode(file("${local.rules_root}/${file}"))
  }
}

resource "helm_release" "zenml" {
  name             = local.platform.zenml_release
  description      = local.description
  namespace        = local.platform.zenml_namespace
  create_namespace = true
  repository       = "oci://public.ecr.aws/zenml"
  chart            = "zenml"
  version          = var.zenml_chart_version
  atomic           = true

  values = [yamlencode({
    zenml = {
      analyticsOptIn = false
      service = {
        type = "ClusterIP"
        port = local.platform.zenml_port
      }
    }
  })]
}

resource "helm_release" "monitoring" {
  name             = local.platform.monitoring_release
  description      = local.description
  namespace        = local.platform.monitoring_namespace
  create_namespace = true
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = var.monitoring_chart_version
  atomic           = true

  values = [yamlencode({
    additionalPrometheusRulesMap = local.rules
    prometheus = {
      prometheusSpec = {
        ruleSelectorNilUsesHelmValues           = false
        serviceMonitorSelectorNilUsesHelmValues = false
        podMonitorSelectorNilUsesHelmValues     = false
      }
    }
  })]
}
