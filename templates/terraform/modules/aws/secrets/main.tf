# The stack's customer-managed KMS key (cluster secrets, logs, buckets, registry, online store,
# secrets) and the Secrets Manager entries the workloads read by name. Secret values never pass
# through Terraform variables or outputs: operators put them with the AWS CLI or console.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

resource "aws_kms_key" "this" {
  description             = "Encrypts ${var.name}: cluster secrets, logs, buckets, registry, online store"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  # Account administrators manage the key through IAM; CloudWatch Logs may use it for the
  # stack's log groups only.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${data.aws_region.current.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:*"
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_secretsmanager_secret" "this" {
  for_each = var.secret_names

  #checkov:skip=CKV2_AWS_57:Values are issued by outside systems (alert channels, registries); they are rotated where they are issued.
  name                    = "${var.name}/${each.key}"
  description             = "${each.key} of ${var.name}, read by name by the stack's workloads"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_days
}
