"""The Terraform target: `infra/` for cloud stacks (cluster root, modules, platform stage)."""
