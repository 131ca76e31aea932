# GitHub Actions deploys without long-lived keys: one role per GitHub environment (staging,
# production), each trusting only the OIDC tokens of that environment's jobs in one repository
# (subject repo:OWNER/NAME:environment:ENV, which GitHub issues once the environment's
# protection rules, such as required reviewers, have passed). Each role may push images to the
# stack's registry and reach the cluster (its access entry is granted in the cluster module).
data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  enabled      = var.repository == null ? {} : { this = var.repository }
  environments = var.repository == null ? toset([]) : toset(var.environments)
}

resource "aws_iam_openid_connect_provider" "github" {
  for_each = local.enabled

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "assume" {
  for_each = local.environments

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github["this"].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.repository}:environment:${each.key}"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.environments

  name               = "${var.name}-ci-${each.key}"
  description        = "Assumed by the ${each.key} deploy jobs of ${var.repository} to deploy ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume[each.key].json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [var.registry_arn]
  }

  statement {
    sid       = "DescribeCluster"
    actions   = ["eks:DescribeCluster"]
    resources = ["arn:${data.aws_partition.current.partition}:eks:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:cluster/${var.cluster_name}"]
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = local.environments

  name   = "deploy"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.deploy.json
}
