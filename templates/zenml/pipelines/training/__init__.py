"""One training pipeline per model: ``pipelines/training/<model>.py`` exports ``PIPELINE``."""
