"""Step ``score``: batch predictions of the production model, written where the plan says.

The output goes to ``<output_uri>/<model>/predictions.parquet`` of the plan's batch serving.
A local path is on this machine, so it is always used (a relative one from the stack root,
whatever the working directory); a cloud URI is written only when the run reads declared
sources (``--data declared``), and otherwise the predictions go under
``data/batch/<model>/predictions.parquet`` in the stack.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

import pandas as pd
from zenml import get_step_context, step

from pipelines.events import step_events
from pipelines.stack_plan import load_plan, stack_root
from pipelines.tasks import family_of

FILE = "predictions.parquet"


def write_predictions(frame: pd.DataFrame, output_uri: str | None, model: str, data: str) -> str:
    """Write ``frame`` and return where it went."""
    parsed = urlparse(output_uri or "")
    if parsed.scheme == "s3" and data == "declared":
        import boto3

        key = f"{parsed.path.strip('/')}/{model}/{FILE}".lstrip("/")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        boto3.client("s3").put_object(Bucket=parsed.netloc, Key=key, Body=buffer.getvalue())
        return f"s3://{parsed.netloc}/{key}"
    local = parsed.scheme in ("", "file") and bool(output_uri)
    base = stack_root() / Path(parsed.path) if local else stack_root() / "data" / "batch"
    folder = base / model
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / FILE, index=False)
    return str(folder / FILE)


@step
def score(frame: pd.DataFrame, model_name: str, data: str = "auto") -> Annotated[str, "written_to"]:
    """Predict every row with the production version; return where the predictions went."""
    with step_events("score"):
        plan = load_plan()
        model = plan.model(model_name)
        artifact = get_step_context().model.get_artifact("model")
        if artifact is None:
            raise ValueError(f"model {model_name} has no production version with a model")
        fitted = artifact.load()
        predictions = family_of(model.task).predict(model, fitted, frame)
        keys = [f.name for f in plan.source(model.source).fields if f.role in ("id", "entity")]
        out = pd.concat(
            [frame[keys].reset_index(drop=True), predictions.reset_index(drop=True)], axis=1
        )
        return write_predictions(
            out, plan.batch.output_uri if plan.batch else None, model.name, data
        )
