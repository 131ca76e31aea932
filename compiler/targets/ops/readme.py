"""The stack README's "Monitoring" and "Runbook" sections: the checks, and what each alert means.

The alert rules link to the runbook's anchors (``README.md#<anchor>``); each entry says what
fired, where its threshold comes from and what to look at first.
"""

from __future__ import annotations

from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.filters_markup import markdown_code
from mlopsgen.targets.ops.alerts import alerts
from mlopsgen.targets.zenml.rollout_readme import rolls_out

__all__ = ["MONITORING_HEADING", "RUNBOOK_HEADING", "monitoring_section", "runbook_section"]

MONITORING_HEADING = "Monitoring"
_ROLLED_BACK = (
    "Rollout rolled back (`python -m pipelines.rollout step` exit 4)",
    "A candidate broke the error or quality bound on its own rows during a step (see "
    "Rollout): production answers every unit again and the candidate is `archived` in the "
    "Model Control Plane. `python -m pipelines.rollout status` gives the reason, also in the "
    "version's `rollout` metadata. Errors: read the service log for the candidate's "
    "traceback (`rollout of <model>: candidate <n> failed`) and compare "
    "`mlopsgen_rollout_model_seconds` by arm. Quality: compare the candidate's training data "
    "and labels with production's (`python -m pipelines.drift --no-retrain`). Fix, retrain "
    "(the run starts a new rollout), or start it again by hand with "
    "`python -m pipelines.rollout start --model <model> --version <n>`.",
)
RUNBOOK_HEADING = "Runbook"

_CHECKS = """\
`monitoring/prometheus/alerts.yml` holds the service's alert rules, computed from the plan
(thresholds, windows, severities); `alerts_test.yml` beside it feeds each alert synthetic
series where it must fire and where it must stay silent. `monitoring/alertmanager/` routes
alerts by severity to the spec's channels, reading each credential from a mounted file.
Check them with Prometheus's and Alertmanager's own tools:

```sh
make check-monitoring   # all three below, from monitoring/
promtool check rules monitoring/prometheus/alerts.yml
(cd monitoring && promtool test rules prometheus/alerts_test.yml)
amtool check-config monitoring/alertmanager/alertmanager.yml
```

The rules select the service's series by `job`: scrape the service under a job named
{job} (the Prometheus Operator names the job after the Kubernetes Service, which is).
Where the spec keeps `monitoring.dashboards` on, `monitoring/grafana/` holds the service's
Grafana dashboard (latency against the objective, outcomes, error budget and its burn, sheds,
batch sizes, experiment exposures, cache hits, each against the plan's number): import it and
choose the Prometheus data source."""

_ENTRIES = {
    "error-budget-burn": (
        "Error budget burn (`ErrorBudgetBurn*`)",
        "Errors and 503s are spending the availability budget faster than the month allows "
        "(the alert's name says over which window). Look at `mlopsgen_requests_total` by "
        "`outcome`: `error` points at the service or a dependency (online store, model "
        "loading: the service log), `shed` at capacity (see requests shed). A model version "
        "rolling out is judged on its own rows by `python -m pipelines.rollout step`; roll "
        "back a version promoted just before the burn began.",
    ),
    "engine-error-budget-burn": (
        "Error budget burn (`ErrorBudgetBurn*`)",
        'The language service\'s failures (`mlopsgen_llm_requests_total{outcome="error"}`) '
        "are spending the availability budget faster than the month allows (the alert's name "
        "says over which window); refused requests (`invalid`) and cancelled streams are not "
        "counted. Read the service log: an engine that ran out of KV-cache memory or a model "
        "that failed to load are the usual causes. Roll back a version promoted just before "
        "the burn began (`make rollback`).",
    ),
    "token-latency-above-objective": (
        "Token latency above objective (`TimeToFirstTokenAboveObjective`, "
        "`TimePerOutputTokenAboveObjective`)",
        "The engine's p95 time to the first token, or between tokens, stayed above the spec's "
        "objective. A slow first token means requests queue for a sequence slot or prompts "
        "grew (compare `mlopsgen_llm_prompt_tokens_total` per request with the plan's prompt "
        "p95); slow tokens mean the batch is larger than the plan's `max_num_seqs` allows for "
        "or the GPUs are slower than their class. Scale out before changing the objective.",
    ),
    "answer-latency-above-objective": (
        "Answer latency above objective (`LatencyAboveObjective`)",
        "The p95 time to a request's last token stayed above the SLO. Check the token alerts "
        "first; if they are quiet, answers grew longer than planned (see answers longer than "
        "plan).",
    ),
    "engine-traffic-above-plan": (
        "Traffic above plan (`TrafficAbovePlan`)",
        "Requests have stayed above the spec's peak throughput for half an hour. The GPU count, "
        "the engine's batch and the monthly cost were all derived from that peak: raise "
        "`slo.throughput` in the spec and rebuild, so the plan follows the real load.",
    ),
    "answers-longer-than-plan": (
        "Answers longer than plan (`AnswersLongerThanPlan`)",
        "Finished answers average more generated tokens than the p95 the GPUs were sized by, so "
        "each request holds its sequence slot and KV cache longer than planned. Check the "
        "callers' `max_tokens` and the prompts; if the answers are right, set the measured "
        "`output_tokens` in the spec and rebuild so the GPU count follows.",
    ),
    "latency-above-objective": (
        "Latency above objective (`LatencyAboveObjective`)",
        "The p95 of `/predict` stayed above the SLO. Compare the request rate with the plan's "
        "peak and the batch sizes (`mlopsgen_batch_size`) with the plan's; a slower model "
        "version or a slow online store shows in the service log's timings. Scale out (the "
        "HPA's bounds) before changing the SLO.",
    ),
    "requests-shed": (
        "Requests shed (`RequestsShed`)",
        "The service refuses requests with 503: workers are at their concurrency bound or "
        "the batching deadline is missed. The plan's replica count no longer carries the "
        "traffic: check the HPA's current and maximum replicas, then the traffic against the "
        "plan's peak.",
    ),
    "traffic-above-plan": (
        "Traffic above plan (`TrafficAbovePlan`)",
        "Requests have stayed above the spec's peak throughput for half an hour. The replica "
        "count, the autoscaler's maximum and the monthly cost were all derived from that "
        "peak: raise `slo.throughput` in the spec and rebuild, so the plan (and the HPA "
        "bounds, node pools and budget check) follows the real load.",
    ),
    "service-time-above-calibration": (
        "Service time above calibration (`ServiceTimeAboveCalibration`)",
        "A row now costs the service's workers more time than the calibration the plan sized "
        "the replicas by (`mlopsgen_scoring_seconds` over `mlopsgen_scored_rows_total`), so at "
        "the planned peak the replicas run past their target utilisation. A model version or "
        "a slower online store is the usual cause: compare with the version promoted before. "
        "If the new cost is real, load-test and set the model's `calibration:` in the spec, "
        "then rebuild so the replica count follows.",
    ),
    "cache-hit-ratio-below-plan": (
        "Cache hit ratio below plan (`CacheHitRatioBelowPlan`)",
        "The prediction cache answers fewer lookups than the spec's `hit_ratio`, so more "
        "requests reach the models than the replicas were sized for. Check the cache's "
        "evictions against its planned size and TTL; if the traffic's shape changed, set the "
        "measured ratio in the spec and rebuild.",
    ),
    "model-quality-out-of-bounds": (
        "Model quality out of bounds (`ModelQualityAboveBound`, `ModelQualityBelowBound`)",
        "A quality monitor's metric, measured on the outcomes joined to the logged "
        "predictions (`python -m pipelines.outcomes`), left the spec's bound. Compare the "
        "answering model versions in `data/outcomes/outcomes.parquet`: a version promoted "
        "just before is the first suspect (roll it back); otherwise the data moved, so check "
        "the drift scores and retrain on recent labelled rows.",
    ),
    "training-stale": (
        "Training stale (`TrainingStale`)",
        "A model's production version is older than its schedule allows: runs fail, do not "
        "run, or the gates keep every candidate out. `.mlopsgen/last-run.json` says which "
        "(status `failed` with the error, or `kept_out` with the failing gates); the ZenML "
        "dashboard holds the runs. A gate that keeps failing on fresh data is a quality "
        "problem to investigate, not a bound to relax.",
    ),
    "feature-stale": (
        "Feature stale (`FeatureStale`)",
        "The online store holds values of a feature view older than the view's declared "
        "freshness, so the service scores with stale features. A stream view needs its "
        "consumer (`push_from_snapshot`) running at least that often; a batch view needs "
        "its materialisation (the training run's `features` step, or `feast "
        "materialize-incremental`) and a source that still receives events.",
    ),
    "input-drift": (
        "Input drift (`DriftAboveWarn`, `DriftAboveAlert`)",
        "The drift check (`python -m pipelines.drift`) scored a model's logged request "
        "inputs over its window past a band of `monitoring.drift`. "
        "`.mlopsgen/last-drift.json` (and the `drift_report` artifact of the ZenML run) names "
        "the input with the largest score. Past the alert band, a spec with a drift trigger "
        "has already retrained the model: read that run's gates in `.mlopsgen/last-run.json`. "
        "A new upstream source, a changed client or a unit change explains drift better than "
        "the world moving: fix those at the source rather than retraining on them.",
    ),
}


_OUTCOMES = """\
Every answer carries a `prediction_id` and the versions of the models that answered, and the
service logs it (`.mlopsgen/predictions/`, or stdout on the cluster). Labels and business
outcomes that arrive later are joined to those lines by prediction id or by the request's
keys:

```sh
python -m pipelines.outcomes labels.parquet   # or .csv / .jsonl
```

It keeps `data/outcomes/outcomes.parquet` (one row per labelled prediction: version, arm,
answer, outcome) and writes the live quality metrics to `.mlopsgen/metrics/outcomes.prom`:
point node-exporter's textfile collector at `.mlopsgen/metrics/` (or push the file to a
Pushgateway), and the quality alerts read them. The drift check (`python -m pipelines.drift`)
writes `.mlopsgen/metrics/drift.prom` beside it, which the drift alerts read."""


def monitoring_section(plan: Plan) -> str:
    """How to check the rules and routing, how Prometheus must name the service's job, and
    how outcomes flow back to the quality alerts."""
    parts = [_CHECKS.format(job=markdown_code(str(plan.serving.service_name))), _OUTCOMES]
    quality = plan.monitoring.quality
    live = [f"{m.metric} of {markdown_code(m.model)}" for m in quality if m.live]
    later = [
        f"{m.metric} of {markdown_code(m.model)}" + (f" by {markdown_code(m.by)}" if m.by else "")
        for m in quality
        if not m.live
    ]
    if live:
        parts.append(f"Measured live and alerted on: {', '.join(live)}.")
    if later:
        parts.append(
            f"Measured at evaluation only (per slice, or needing more than one answer per "
            f"label): {', '.join(later)}."
        )
    return "\n\n".join(parts)


def runbook_section(plan: Plan) -> str:
    """One entry per kind of alert the stack has, under the anchor its rules link to."""
    used = sorted({alert.runbook for alert in alerts(plan)}, key=list(_ENTRIES).index)
    if not used:
        return "This stack serves no real-time requests, so it has no serving alerts."
    parts = []
    for anchor in used:
        title, text = _ENTRIES[anchor]
        parts.append(f'<a id="{anchor}"></a>\n**{title}.** {text}')
    if rolls_out(plan):
        parts.append(f'<a id="rollout-rolled-back"></a>\n**{_ROLLED_BACK[0]}.** {_ROLLED_BACK[1]}')
    return "\n\n".join(parts)
