"""Batch scoring pipelines: ``pipelines/batch/<model>.py`` exports ``PIPELINE``."""
