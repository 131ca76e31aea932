"""The stack's ZenML pipelines: training per model, batch scoring, and their entry point."""
