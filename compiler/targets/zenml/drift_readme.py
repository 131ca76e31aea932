"""The stack README's "Drift check" section: how to run the drift pipeline, what it decides.

Every stack gets ``pipelines/drift.py``; the section states, from the Plan, the method and
bands it scores with, the window and the rows it needs, which triggers retrain and how often
to run it, and the files it writes. The behaviour itself lives in the generated package
(``pipelines/monitoring/``); this text only describes it with the plan's numbers.
"""

from __future__ import annotations

from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.filters_markup import markdown_code

__all__ = ["DRIFT_HEADING", "drift_section"]

DRIFT_HEADING = "Drift check"

_HOW = """\
Run it from the stack root after the service has logged requests (`bentoml serve` writes
`.mlopsgen/predictions/`, or the folder `MLOPSGEN_PREDICTION_LOG` names):

```sh
python -m pipelines.drift                 # score the last window, retrain what the triggers name
python -m pipelines.drift --no-retrain    # score and export only
python -m pipelines.drift --window-end 2026-01-31T12:00:00Z
python -m pipelines.run --pipeline drift  # the same check, through the common entry point
```

The ZenML pipeline `drift` reads the sampled request inputs of the window, compares each
trainable model's inputs with the rows its production version was trained on (the `rows`
artifact of that version in the Model Control Plane), counts the labelled predictions made
after each supervised model's last training (`data/outcomes/outcomes.parquet`, which
`python -m pipelines.outcomes` keeps), and keeps the whole report as its `drift_report`
artifact (also `.mlopsgen/last-drift.json`). Numbers are binned at the reference's quantiles,
categories are their own bins, text is compared through derived numbers (characters, tokens,
the shares of non-ASCII letters and of digits); images are not logged, so an image model is
reported as not monitored. Feature-store aggregates and identifiers are not in the logged
request and are listed as skipped. A model's score is the largest of its inputs' scores."""

_EXPORTS = """\
It writes `.mlopsgen/metrics/drift.prom` for node-exporter's textfile collector:
`mlopsgen_drift_score{model,feature,method}`, `mlopsgen_drift_max_score{model,method}` (read
by the `DriftAboveWarn` and `DriftAboveAlert` alerts), `mlopsgen_drift_window_rows{model}` and
`mlopsgen_labels_since_training{model}`. Exit codes: 0 nothing to retrain or retrained and
promoted, 3 a retrained candidate was kept out by a gate, 4 the check or the retraining
failed."""


def _triggers(plan: Plan) -> str:
    drift = plan.monitoring.drift
    parts = []
    for trigger in plan.training.triggers:
        if trigger.kind == "drift" and trigger.threshold is not None:
            bar = min(trigger.threshold, drift.alert)
            parts.append(
                f"a model whose score is above {bar:g} (the spec's drift trigger at "
                f"{trigger.threshold:g}, or the alert band if lower) is retrained"
            )
        elif trigger.kind == "new_labels" and trigger.min_rows is not None:
            parts.append(
                f"a supervised model is retrained once {trigger.min_rows} labelled predictions "
                "arrived after its last training"
            )
    if not any(t.kind == "drift" for t in plan.training.triggers):
        parts.append("the spec declares no drift trigger, so drift is reported and alerted only")
    return "; ".join(parts)


def drift_section(plan: Plan) -> str:
    """How to run the drift check and what it does with the plan's numbers."""
    drift = plan.monitoring.drift
    settings = (
        f"The spec scores drift with {markdown_code(drift.method)} over a "
        f"{markdown_code(drift.window)} window: `warn` above {drift.warn:g}, `alert` above "
        f"{drift.alert:g}. A window needs {drift.sample_rows} logged rows (at fewer, chance "
        f"alone scores more than a tenth of the warning band), so the service logs the inputs "
        f"of {drift.sample_fraction:g} of its requests; a window with fewer rows is reported "
        f"`insufficient` and retrains nothing. Retraining goes through "
        f"`pipelines.triggers.retrain`, so the gates decide promotion: {_triggers(plan)}."
    )
    schedule = (
        f"Run it every trigger check, {markdown_code(plan.training.trigger_check_cron)} "
        f"({plan.training.timezone}): `python -m pipelines.run --schedule` prints its crontab "
        "line. It starts training runs from its own process, so on a cluster run it as a "
        "CronJob rather than as a ZenML schedule."
    )
    return "\n\n".join([_HOW, settings, schedule, _EXPORTS]) + "\n"
