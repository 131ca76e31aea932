output "role_arns" {
  description = "ARN of the CI deploy role of each GitHub environment, keyed by environment (empty while no repository is set)."
  value       = { for environment, role in aws_iam_role.this : environment => role.arn }
}
