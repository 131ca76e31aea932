"""The core target: what every stack has (README, plan.json, pyproject, Makefile)."""
