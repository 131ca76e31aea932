"""The fine-tuning pipelines' steps, one module each; every step is a small function."""

from pipelines.steps.evaluate import evaluate
from pipelines.steps.fine_tune import fine_tune
from pipelines.steps.ingest import ingest
from pipelines.steps.prepare_base import prepare_base
from pipelines.steps.register import register
from pipelines.steps.validate import validate

__all__ = ["evaluate", "fine_tune", "ingest", "prepare_base", "register", "validate"]
