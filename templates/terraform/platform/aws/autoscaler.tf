# The cluster autoscaler moves each EKS node group between the plan's bounds, finding the
# groups by the tags EKS puts on them; it acts through its own IAM role (IRSA).
resource "helm_release" "cluster_autoscaler" {
  name        = "cluster-autoscaler"
  description = local.description
  namespace   = local.cluster.autoscaler.namespace
  repository  = "https://kubernetes.github.io/autoscaler"
  chart       = "cluster-autoscaler"
  version     = var.autoscaler_chart_version
  atomic      = true

  values = [yamlencode({
    cloudProvider = "aws"
    awsRegion     = local.cluster.region
    autoDiscovery = { clusterName = local.cluster.cluster_name }
    image         = { tag = "v${local.cluster.kubernetes_version}.0" }
    rbac = {
      serviceAccount = {
        name        = local.cluster.autoscaler.name
        annotations = { "eks.amazonaws.com/role-arn" = local.cluster.autoscaler.role_arn }
      }
    }
    extraArgs = {
      balance-similar-node-groups = true
      expander                    = "least-waste"
    }
  })]
}
