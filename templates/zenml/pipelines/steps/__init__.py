"""The training pipelines' steps, one module each; every step is a small function."""

from pipelines.steps.check_leakage import check_leakage
from pipelines.steps.evaluate import evaluate
from pipelines.steps.features import features
from pipelines.steps.ingest import ingest
from pipelines.steps.optimize import optimize
from pipelines.steps.register import register
from pipelines.steps.train import train
from pipelines.steps.train_float import train_float
from pipelines.steps.validate import validate

__all__ = [
    "check_leakage",
    "evaluate",
    "features",
    "ingest",
    "optimize",
    "register",
    "train",
    "train_float",
    "validate",
]
