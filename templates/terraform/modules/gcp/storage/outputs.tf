output "bucket_names" {
  description = "Name of each bucket, keyed by role."
  value       = { for key, bucket in google_storage_bucket.this : key => bucket.name }
}
