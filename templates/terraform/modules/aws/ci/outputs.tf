output "role_arns" {
  description = "ARN of the CI deploy role (empty while no repository is set)."
  value       = [for role in aws_iam_role.this : role.arn]
}
