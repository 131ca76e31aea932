"""The training pipelines' steps, one module each; every step is a small function."""

from pipelines.steps.check_leakage import check_leakage
from pipelines.steps.evaluate import evaluate
from pipelines.steps.features import features
from pipelines.steps.ingest import ingest
from pipelines.steps.register import register
from pipelines.steps.train import train
from pipelines.steps.validate import validate

__all__ = ["check_leakage", "evaluate", "features", "ingest", "register", "train", "validate"]
