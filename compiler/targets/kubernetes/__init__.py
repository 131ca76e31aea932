"""The Kubernetes target: the serving workloads as kustomize manifests under ``deploy/``."""
