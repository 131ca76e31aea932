"""The CI/CD target: the stack's GitHub Actions workflows in ``.github/workflows/``."""
