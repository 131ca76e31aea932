output "role_arns" {
  description = "ARN of each workload's role, keyed by workload; annotate its service account with it."
  value       = { for key, role in aws_iam_role.this : key => role.arn }
}
