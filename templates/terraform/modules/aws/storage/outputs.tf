output "bucket_names" {
  description = "Name of each bucket, keyed by role."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.id }
}

output "bucket_arns" {
  description = "ARN of each bucket, keyed by role."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.arn }
}
