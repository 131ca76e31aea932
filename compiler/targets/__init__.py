"""Targets: each renders the Plan into files (`registry` runs them all)."""
