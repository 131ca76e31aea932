"""Progressive rollout of a promoted model version: canary steps, checks and rollback."""
