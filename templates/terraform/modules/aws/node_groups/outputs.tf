output "node_role_arn" {
  description = "IAM role of every node."
  value       = aws_iam_role.this.arn
}

output "node_groups" {
  description = "Bounds of each node group, keyed by pool name."
  value = {
    for key, group in aws_eks_node_group.this : key => {
      min_size = group.scaling_config[0].min_size
      max_size = group.scaling_config[0].max_size
    }
  }
}

output "autoscaler_role_arn" {
  description = "IAM role of the cluster autoscaler's service account (IRSA)."
  value       = aws_iam_role.autoscaler.arn
}
