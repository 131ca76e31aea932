"""The stack's ZenML pipelines: LoRA fine-tuning per language model, its release, the entry point."""
