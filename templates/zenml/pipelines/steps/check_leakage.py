"""Step ``check_leakage``: stop before training when an input leaks the label.

Evaluation cannot catch leakage (the leak is in the hold-out too), so it is checked on its
own: an input timestamped after the row's event, or one that predicts the label almost
perfectly by itself, stops the run with a report naming it.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from zenml import step

from pipelines.checks import DataProblem, find_leaks
from pipelines.events import step_events
from pipelines.holdout import matured
from pipelines.stack_plan import load_plan


@step
def check_leakage(frame: pd.DataFrame, model_name: str) -> Annotated[int, "inputs_checked"]:
    """Raise :class:`DataProblem` naming every leaking input; return how many were checked."""
    with step_events("check_leakage"):
        plan = load_plan()
        model = plan.model(model_name)
        source = plan.source(model.source)
        leaks = find_leaks(model, source, matured(model, source, frame))
        if leaks:
            report = "\n".join(leaks)
            raise DataProblem(f"model {model.name!r}: inputs leak {model.target}:\n{report}")
        return len(model.inputs)
