"""The stack README's "Rollout" section: how a promoted version reaches traffic, and leaves it.

Only a stack that answers online requests with a progressive strategy (``canary``,
``blue_green``, ``shadow``) gets the section: ``all_at_once`` and batch-only stacks promote a
candidate that passes its gates straight to production. The section states the plan's steps
and the numbers the generated controller (``pipelines/rollout/``) judges a step by: the error
bound is the strictest page burn-rate alert whose short window fits in a step (the same rule
as ``pipelines.rollout.policy``), the evidence is one over that bound in canary rows, the
quality bounds are the model's live monitors. The behaviour lives in the generated package;
this text only describes it with the plan's numbers.
"""

from __future__ import annotations

import math
import re

from mlopsgen.plan.ir.ops import BurnRateAlert
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.filters_markup import markdown_code
from mlopsgen.targets.kubernetes.rollout import outcomes_uri
from mlopsgen.targets.kubernetes.views import rollout_object_name

__all__ = ["ROLLOUT_HEADING", "error_alert", "rollout_section", "rolls_out"]

ROLLOUT_HEADING = "Rollout"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

_COMMANDS = """\
```sh
python -m pipelines.rollout status                      # the state, as JSON
python -m pipelines.rollout step                        # judge every running rollout
python -m pipelines.rollout start --model M [--version N]
python -m pipelines.rollout rollback --model M --reason "..."
python -m pipelines.rollout promote --model M           # finish now, by hand
python -m pipelines.rollout adopt --from FILE           # take over another state's rollouts
python -m services.export                               # store the candidate for the service
```"""

_LOCAL = """\
A training run whose candidate passes its gates while an older version serves starts the
rollout itself: the candidate stays in `staging` in the Model Control Plane, production keeps
serving, and `.mlopsgen/rollout.json` (or the file `MLOPSGEN_ROLLOUT_STATE` names) says which
share of units the candidate answers. After `python -m services.export` (which stores the
candidate as `<model>--canary`) the service sends each unit, by a hash of its entity id salted
per rollout, to the candidate or to production, re-reading the state on the next request
whenever it changes: steps and rollbacks need no restart, a unit keeps its version as the
share grows, and answers name the version that made them (`model_versions`, `canary`).
`mlopsgen_rollout_rows_total{model,version,arm,outcome}` and
`mlopsgen_rollout_model_seconds{model,arm}` show the canary beside the stable arm. Exit codes
of `step`: 0 advanced or promoted, 2 nothing to do, 3 held (the step is not over, or the canary
has answered too few rows), 4 rolled back by a breach."""

_WHY_IN_SERVICE = """\
Why the split lives in the service and not in two Deployments weighted by replicas: a 5 % step
would need twenty replicas, and a unit must see the same version on every replica. The image
built after `python -m services.export` holds the candidate, so a step moves traffic without a
deploy."""


def window_seconds(text: str) -> int:
    """Seconds of a Prometheus duration such as ``5m`` or ``6h``."""
    found = re.fullmatch(r"(\d+)([smhdw])", text)
    if found is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def rolls_out(plan: Plan) -> bool:
    """Whether the stack rolls a promoted version out step by step (online, progressive).

    A language stack does not: its engine serves one merged model, so a new version reaches
    it by the Deployment's rolling update of the exported model."""
    return (
        plan.serving.realtime
        and plan.training.rollout.strategy != "all_at_once"
        and not plan.language_models
    )


def error_alert(plan: Plan) -> BurnRateAlert | None:
    """The page alert that bounds a canary's error ratio: the strictest whose short window
    fits in a step, else the first page (None without page alerts)."""
    pages = [a for a in plan.availability.burn_rate_alerts if a.severity == "page"]
    step = plan.training.rollout.step_minutes * 60
    fitting = [a for a in pages if window_seconds(a.short_window) <= step] or pages[:1]
    return min(fitting, key=lambda a: a.error_rate_threshold) if fitting else None


def _judged(plan: Plan) -> str:
    alert = error_alert(plan)
    parts = []
    if alert is not None:
        rows = math.ceil(1.0 / alert.error_rate_threshold)
        parts.append(
            f"the canary's error ratio over the step above {alert.error_rate_threshold:.4g} "
            f"(the {alert.burn_rate:g}x page, {alert.long_window}/{alert.short_window}: the "
            f"ratio at which it would fire if the whole service answered like the canary) "
            f"rolls back; a step advances only after {rows} canary rows (fewer could not show "
            "that ratio even once)"
        )
    live = [
        f"{m.metric} of {markdown_code(m.model)}"
        + (f" at most {m.max:g}" if m.max is not None else "")
        + (f" at least {m.min:g}" if m.min is not None else "")
        for m in plan.monitoring.quality
        if m.live and m.by is None
    ]
    if live:
        parts.append(
            "a live quality bound broken by the candidate's own labelled predictions "
            "(`data/outcomes/outcomes.parquet`, or the table `MLOPSGEN_OUTCOMES_URI` names; "
            f"100 or more) rolls back: {', '.join(live)}"
        )
    return "; ".join(parts) or "the plan has no page alert and no live quality bound"


def rollout_section(plan: Plan) -> str | None:
    """How a promoted version is rolled out, or None when the plan promotes at once."""
    if not rolls_out(plan):
        return None
    rollout = plan.training.rollout
    steps = ", ".join(f"{p:g} %" for p in rollout.steps_percent)
    shadow = (
        " Under `shadow` the candidate scores its share beside production and production "
        "answers: only its errors and latency are judged."
        if rollout.strategy == "shadow"
        else ""
    )
    intro = (
        f"The plan rolls a promoted version out by {markdown_code(rollout.strategy)}: it "
        f"answers {steps} of units in turn, {rollout.step_minutes} minutes a step "
        f"({rollout.total_minutes} minutes in all), then becomes production.{shadow} A step is "
        f"judged on the candidate alone: {_judged(plan)}. A rollback archives the candidate "
        "with its reason (in its ZenML metadata and the state file) and sends every unit back "
        "to production at once; production is never touched until the last step passes."
    )
    return "\n\n".join([intro, _COMMANDS, _LOCAL, _cluster(plan), _WHY_IN_SERVICE])


def _cluster(plan: Plan) -> str:
    """What ``deploy/`` runs on the cluster: the CronJob, its state ConfigMap and identity."""
    bare = rollout_object_name(plan.serving.service_name)
    name = markdown_code(bare)
    minutes = plan.training.rollout.check_minutes
    every = "every minute" if minutes == 1 else f"every {minutes} minutes"
    return (
        f"On the cluster, `deploy/` runs the same controller beside the service: the CronJob "
        f"{name} starts `python -m pipelines.rollout step --scheduled` {every} "
        "(`training.rollout.check_minutes`: a tenth of a step, between 1 and 5 minutes), one "
        "run at a time; a held step or nothing to do exits 0, a rollback by a breach fails "
        "that run, so the cluster's failed-job alert shows it. It runs from the service's own "
        "image: the overlay names it, so CD's `kustomize edit set image` pins the controller "
        "to the build that serves, and it holds `pipelines/`, `plan.json` and ZenML's client "
        "(the pipeline image ZenML builds holds no code: it downloads it at run time). "
        "`PROMETHEUS_URL` points it at the platform's Prometheus, so the canary's rows and "
        "errors are summed over every replica rather than read from one replica's `/metrics`. "
        f"{_cluster_outcomes(plan)}"
        f"The state lives in the ConfigMap {name} (key `rollout.json`), which the controller "
        "loads and saves through the Kubernetes API (`MLOPSGEN_ROLLOUT_CONFIGMAP`) with its "
        "service account: a save carries the `resourceVersion` it read, so a concurrent "
        "change is never lost (a conflict is read again and retried), and the first rollout "
        "creates it. The kustomization never lists it, so an apply never resets a live "
        "rollout; the controller's Role may read and update that one ConfigMap and create "
        "ConfigMaps, nothing else. The service's pods mount it (optional: until the first "
        "rollout there is no file, which reads as no rollout) at the path "
        "`MLOPSGEN_ROLLOUT_STATE` names; the kubelet swaps the mounted file when the "
        "ConfigMap changes, and every replica follows within its sync period (about a "
        "minute). The controller reaches the ZenML server with the Secret `zenml-store` "
        "(keys `url` and `api-key`: a ZenML service account's API key), to promote or archive "
        "the candidate; `deploy/README.md` shows how to create it. To act by hand from a "
        "machine with cluster access, run the commands above with "
        "`MLOPSGEN_ROLLOUT_CONFIGMAP=<namespace>/<name>` and "
        "`MLOPSGEN_KUBERNETES_API=http://127.0.0.1:8001` beside `kubectl proxy`, or start a "
        f"step now with `kubectl create job --from=cronjob/{bare} rollout-now`. A rollout a "
        "training run started elsewhere (CI's build job, a laptop) lives in that run's state "
        "file until `python -m pipelines.rollout adopt --from FILE`, run that way, writes it "
        "to the ConfigMap, its step starting again; the deploy workflow's production job does "
        "this after each deploy. Adopting the same version twice keeps what is there, and "
        "another version is refused while one rolls out."
    )


def _cluster_outcomes(plan: Plan) -> str:
    """Where the CronJob reads the outcomes a live quality bound is judged on."""
    uri = outcomes_uri(plan)
    if uri is None:
        return (
            "Its pods hold no outcome table (the offline store is not in a cloud bucket), so "
            "on the cluster a step is judged on the error ratio alone. "
        )
    return (
        f"Live quality comes from the outcome table {markdown_code(uri)} "
        "(`MLOPSGEN_OUTCOMES_URI`, in the offline store): run outcome ingestion with the same "
        "variable (`MLOPSGEN_OUTCOMES_URI=" + uri + " python -m pipelines.outcomes FILE`) so "
        "that the table the CronJob judges by is the one that grows; its service account "
        "needs read access to that bucket. "
    )
