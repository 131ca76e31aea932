output "kms_key_arn" {
  description = "ARN of the stack's KMS key."
  value       = aws_kms_key.this.arn
}

output "secret_arns" {
  description = "ARN of each secret, keyed by its short name."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }
}

output "secret_names" {
  description = "Full Secrets Manager name of each secret, keyed by its short name."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.name }
}
