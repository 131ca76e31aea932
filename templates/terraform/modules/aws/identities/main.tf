# One IAM role per workload (IRSA): each trusts exactly one Kubernetes service account of the
# cluster and may touch only the stack's own buckets, tables, secrets and key, reading or
# writing as its workload needs.
data "aws_iam_policy_document" "assume" {
  for_each = var.workloads

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.workloads

  name               = "${var.name}-${each.key}"
  description        = "IRSA role of the ${each.key} workload of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume[each.key].json
}

data "aws_iam_policy_document" "access" {
  for_each = var.workloads

  statement {
    sid = "ListBuckets"
    actions = [
      "s3:GetBucketLocation",
      "s3:ListBucket",
    ]
    resources = var.bucket_arns
  }

  statement {
    sid = "Objects"
    actions = concat(
      ["s3:GetObject", "s3:GetObjectVersion"],
      each.value.write_buckets ? ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"] : [],
    )
    resources = [for arn in var.bucket_arns : "${arn}/*"]
  }

  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for secret in each.value.secrets : var.secret_arns[secret]]
  }

  statement {
    sid = "Key"
    actions = concat(
      ["kms:Decrypt", "kms:DescribeKey"],
      each.value.write_buckets ? ["kms:GenerateDataKey", "kms:Encrypt"] : [],
    )
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = length(var.table_arns) > 0 ? ["tables"] : []

    content {
      sid = "Tables"
      actions = concat(
        ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable"],
        each.value.write_store ? ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"] : [],
      )
      resources = var.table_arns
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = var.workloads

  name   = "${each.key}-access"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.access[each.key].json
}
