output "url" {
  description = "URL of the repository (registry host and repository name)."
  value       = aws_ecr_repository.this.repository_url
}

output "arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.this.arn
}
