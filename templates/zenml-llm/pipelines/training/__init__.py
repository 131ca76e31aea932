"""One fine-tuning pipeline per language model: ``pipelines/training/<model>.py`` exports ``PIPELINE``."""
