"""The ZenML target: the stack's ``pipelines/`` package (training, checks, entry point)."""
