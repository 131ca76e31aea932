"""The Terraform target (next): its HCL encoding and resource names, written ahead of it."""
