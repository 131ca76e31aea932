# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""Training schedules, triggers, rollout and how many runs a month each model makes.

A retraining trigger on row counts is predictable: at the source's daily volume it fires
about every ``min_rows / rows_per_day`` days, rounded up to the next trigger check. The plan
states that interval, because a threshold that is small against the volume turns a weekly
cadence into a run at every check — a cost and a cluster load the spec's author should see.
Supervised triggers (new labels, live performance) only retrain models that have a target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlopsgen.plan import calibration, schedules
from mlopsgen.plan.ir.data import (
    ModelPlan,
    RolloutPlan,
    TrainingModelPlan,
    TrainingPlan,
    TriggerPlan,
)
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.plan.training_size import TrainingSize, size_training, warn_unfit
from mlopsgen.spec.models.ml import DriftTrigger, PerformanceTrigger, Trigger
from mlopsgen.spec.models.root import Spec

_MINUTES_PER_MONTH = schedules.DAYS_PER_MONTH * 24 * 60
_DEFAULT_CONTINUOUS_RUNS = 30.0
"""Continuous training with only unpredictable triggers (drift): about one run a day."""


def _trigger_plan(
    rec: Recorder, repeat: int, index: int, trigger: Trigger, rows_per_day: int | None
) -> TriggerPlan:
    metric: str | None = None
    threshold: float | None = None
    min_rows: int | None = None
    if isinstance(trigger, DriftTrigger):
        metric, threshold = trigger.metric, trigger.threshold
    elif isinstance(trigger, PerformanceTrigger):
        metric, threshold = trigger.metric, trigger.min
    else:
        min_rows = trigger.min_rows
    interval = None
    if min_rows is not None and rows_per_day:
        interval = clean(min_rows / rows_per_day * 24)
        rec.add(
            f"training.triggers.{_label(repeat, trigger)}.expected_interval_hours",
            interval,
            unit="h",
            formula="min_rows / rows_per_day × 24",
            computed=f"{min_rows} / {rows_per_day} × 24 = {fmt(interval)}",
            inputs={"min_rows": min_rows, "rows_per_day": rows_per_day},
            sources=[("training", "triggers", index), ("data", "sources")],
            reason="how often the threshold fills at the source's volume, if every row counts",
        )
    return TriggerPlan(
        kind=trigger.kind,
        metric=metric,
        threshold=threshold,
        min_rows=min_rows,
        expected_interval_hours=interval,
    )


def _label(repeat: int, trigger: Trigger) -> str:
    """``new_labels``; a repeated kind gets its count: ``new_labels_2``."""
    return trigger.kind if repeat == 0 else f"{trigger.kind}_{repeat + 1}"


def _rows_per_day(spec: Spec, models: tuple[ModelPlan, ...]) -> int | None:
    """Daily rows of the first trainable model's source: what row-count triggers count."""
    for model in models:
        if model.trainable:
            source = next(s for s in spec.data.sources if s.name == model.source)
            return source.rows_per_day
    return None


def _trigger_runs(
    triggers: tuple[TriggerPlan, ...], supervised: bool, check_minutes: int, cooldown: int
) -> tuple[float, str]:
    """Runs per 30 days that row-count triggers cause, at most one per check and cooldown.

    A retrain is not started while the previous one is still training or rolling out, so a
    trigger that fills every few seconds still paces retraining at the cooldown.
    """
    best, why = 0.0, ""
    floor = math.ceil(cooldown / check_minutes) * check_minutes
    for trigger in triggers:
        if trigger.expected_interval_hours is None:
            continue
        if trigger.kind == "new_labels" and not supervised:
            continue
        fills = math.ceil(trigger.expected_interval_hours * 60 / check_minutes) * check_minutes
        every = max(fills, floor)
        runs = _MINUTES_PER_MONTH / every
        if runs > best:
            best = runs
            why = (
                f"{trigger.kind} ({trigger.min_rows} rows) fills in "
                f"{fmt(trigger.expected_interval_hours)} h → fires every {every} min"
            )
            if every > fills:
                why += f" (a retrain waits {cooldown} min for the previous training and rollout)"
    return best, why


def window_minutes(cadence: str, check_minutes: int, rollout_minutes: int) -> float:
    """Time between runs a training job must fit: the schedule's interval, or (continuous)
    the pace a retrain can keep at all: the rollout, and at least one trigger check."""
    if cadence == "continuous":
        return float(max(rollout_minutes, check_minutes))
    return _MINUTES_PER_MONTH / schedules.runs_per_month(schedules.cadence_cron(cadence))


@dataclass(frozen=True)
class _Pace:
    """How many runs a month one model makes, and why (the runs decision's content)."""

    runs: float
    computed: str
    why: str
    cooldown: int


def _pace(
    cadence: str,
    model: ModelPlan,
    triggers: tuple[TriggerPlan, ...],
    check_minutes: int,
    rollout_minutes: int,
    hours_per_shard: float,
) -> _Pace:
    """Runs per month of a job taking ``hours_per_shard``: its schedule, or the trigger's
    pace held back by the cooldown (the previous run's training and rollout)."""
    cron = schedules.cadence_cron(cadence)
    scheduled = 0.0 if cadence == "continuous" else schedules.runs_per_month(cron)
    waves = model.partition.waves if model.partition else 1
    cooldown = max(rollout_minutes, math.ceil(hours_per_shard * waves * 60))
    triggered, why = _trigger_runs(triggers, model.target is not None, check_minutes, cooldown)
    runs = max(scheduled, triggered)
    computed = f"max({fmt(scheduled)}, {fmt(triggered)}) = {fmt(runs)}"
    if not model.trainable:
        runs, computed = 0.0, "pre-trained → 0"
        why = f"{model.framework} ships pre-trained: packaged and evaluated, never trained"
    elif cadence == "continuous" and triggered == 0:
        runs, computed = (
            _DEFAULT_CONTINUOUS_RUNS,
            f"no row-count trigger → {fmt(_DEFAULT_CONTINUOUS_RUNS)}",
        )
        why = "continuous with only unpredictable triggers (drift): about one run a day"
    elif triggered > scheduled:
        why = f"{why}; the trigger, not the {cadence} schedule, sets the pace (upper bound)"
    else:
        why = f"the {cadence} schedule sets the pace" + (f"; {why}" if why else "")
    return _Pace(runs=clean(runs), computed=computed, why=why, cooldown=cooldown)


def repace(training: TrainingPlan, model: ModelPlan, hours_per_shard: float) -> float:
    """Runs per month of ``model`` once its job takes ``hours_per_shard`` (a widened job
    finishes sooner, so a retrain paced by the cooldown may start sooner)."""
    return _pace(
        training.cadence,
        model,
        training.triggers,
        training.trigger_check_minutes,
        training.rollout.total_minutes,
        hours_per_shard,
    ).runs


def record_runs(
    spec: Spec, rec: Recorder, models: tuple[ModelPlan, ...], training: TrainingPlan
) -> None:
    """Record each model's runs per month from the jobs as finally placed on their nodes."""
    jobs = {job.name: job for job in training.models}
    for index, model in enumerate(models):
        job = jobs[model.name]
        check = training.trigger_check_minutes
        pace = _pace(
            training.cadence,
            model,
            training.triggers,
            check,
            training.rollout.total_minutes,
            job.hours_per_shard,
        )
        rec.add(
            f"training.{model.name}.runs_per_month",
            pace.runs,
            unit="runs/30d",
            formula="max(cron firings per 30 d, 43200 min / max(ceil(min_rows/rows_per_min / "
            "check) × check, cooldown)); cooldown = max(rollout minutes, training minutes)",
            computed=pace.computed,
            inputs={
                "cadence": training.cadence,
                "check_minutes": check,
                "cooldown_minutes": pace.cooldown,
            },
            sources=[
                ("training", "cadence"),
                ("training", "triggers"),
                ("training", "rollout"),
                ("models", index),
            ],
            reason=pace.why,
        )


def _model_training(
    spec: Spec,
    model: ModelPlan,
    triggers: tuple[TriggerPlan, ...],
    check_minutes: int,
    rollout_minutes: int,
    size: TrainingSize,
) -> TrainingModelPlan:
    cadence = spec.training.cadence
    cron = schedules.cadence_cron(cadence)
    window = window_minutes(cadence, check_minutes, rollout_minutes)
    hours_per_shard = size.hours_per_shard
    pace = _pace(cadence, model, triggers, check_minutes, rollout_minutes, hours_per_shard)
    partition = model.partition
    return TrainingModelPlan(
        name=model.name,
        trainable=model.trainable,
        cron=cron,
        shards=partition.shards if partition else 1,
        concurrent_workers=partition.concurrent_workers if partition else 1,
        waves=partition.waves if partition else 1,
        runs_per_month=pace.runs,
        hours_per_shard=hours_per_shard,
        rows_per_shard=size.rows_per_shard,
        features=size.features,
        window_minutes=clean(window),
        cpu=size.cpu,
        memory_gib=size.memory_gib,
        gpu=size.gpu,
        fits_window=size.fits,
    )


def _rollout(spec: Spec, rec: Recorder) -> RolloutPlan:
    rollout = spec.training.rollout
    steps = tuple(rollout.steps_percent) if rollout.strategy == "canary" else (100.0,)
    total = 0 if rollout.strategy == "all_at_once" else len(steps) * rollout.step_minutes
    rec.add(
        "training.rollout.total_minutes",
        total,
        unit="min",
        formula="steps × step_minutes (canary); one step for blue/green and shadow",
        computed=f"{len(steps)} × {rollout.step_minutes} = {total}",
        inputs={"strategy": rollout.strategy, "steps": len(steps)},
        sources=[("training", "rollout")],
        reason="each step holds long enough for burn-rate alerts to fire before the next",
    )
    check = rollout_check_minutes(rollout.strategy, rollout.step_minutes)
    rec.add(
        "training.rollout.check_minutes",
        check,
        unit="min",
        formula=(
            f"min({ROLLOUT_CHECK_MAX_MINUTES}, max(1, ceil(step_minutes / "
            f"{ROLLOUT_CHECK_FRACTION}))); 0 for all_at_once"
        ),
        computed=(
            f"{rollout.strategy}: no rollout to judge"
            if rollout.strategy == "all_at_once"
            else f"min({ROLLOUT_CHECK_MAX_MINUTES}, max(1, ceil({rollout.step_minutes} / "
            f"{ROLLOUT_CHECK_FRACTION}))) = {check}"
        ),
        inputs={"strategy": rollout.strategy, "step_minutes": rollout.step_minutes},
        sources=[("training", "rollout")],
        reason=(
            "the controller judges a running step this often: a step then ends at most "
            f"1/{ROLLOUT_CHECK_FRACTION} of its length late and a breach rolls back within the "
            f"shortest burn-rate window ({ROLLOUT_CHECK_MAX_MINUTES} min); once a minute is "
            "cron's finest"
        ),
    )
    return RolloutPlan(
        strategy=rollout.strategy,
        steps_percent=steps,
        step_minutes=rollout.step_minutes,
        total_minutes=total,
        check_minutes=check,
    )


#: A rollout step is judged this many times over its length, at most every
#: :data:`ROLLOUT_CHECK_MAX_MINUTES` (the shortest burn-rate alert window) and at least once a
#: minute (cron's resolution); every value in 1..5 divides an hour, so ``*/N`` is even.
ROLLOUT_CHECK_FRACTION = 10
ROLLOUT_CHECK_MAX_MINUTES = 5


def rollout_check_minutes(strategy: str, step_minutes: int) -> int:
    """How often the rollout controller judges a running step (0: no rollout)."""
    if strategy == "all_at_once":
        return 0
    wanted = math.ceil(step_minutes / ROLLOUT_CHECK_FRACTION)
    return min(ROLLOUT_CHECK_MAX_MINUTES, max(1, wanted))


def plan_training(
    spec: Spec, rec: Recorder, models: tuple[ModelPlan, ...], gpu_class: str | None = None
) -> TrainingPlan:
    """Schedules, triggers, rollout, per-model run counts and training jobs sized from data."""
    training = spec.training
    cron = schedules.cadence_cron(training.cadence)
    continuous = training.cadence == "continuous"
    check = schedules.CONTINUOUS_CHECK_MINUTES if continuous else schedules.TRIGGER_CHECK_MINUTES
    check_cron = cron if continuous else schedules.cadence_cron("hourly")
    rec.add(
        "training.cron",
        cron,
        formula="cron(cadence)",
        computed=f"cron({training.cadence}) = {cron}",
        inputs={"cadence": training.cadence, "timezone": training.schedule_timezone},
        sources=[("training", "cadence")],
        reason=schedules.cadence_reason(training.cadence),
    )
    rec.add(
        "training.trigger_check_cron",
        check_cron,
        formula=f"every {schedules.CONTINUOUS_CHECK_MINUTES} min when continuous, else hourly",
        computed=f"{training.cadence} → {check_cron}",
        inputs={"cadence": training.cadence, "triggers": len(training.triggers)},
        sources=[("training", "cadence"), ("training", "triggers")],
        reason="triggers are polled: the check interval bounds how late a retrain can start",
    )
    rows = _rows_per_day(spec, models)
    seen: dict[str, int] = {}
    triggers = []
    for index, trigger in enumerate(training.triggers):
        triggers.append(_trigger_plan(rec, seen.get(trigger.kind, 0), index, trigger, rows))
        seen[trigger.kind] = seen.get(trigger.kind, 0) + 1
    rollout = _rollout(spec, rec)
    speed = calibration.GPU_CLASSES[gpu_class or calibration.DEFAULT_GPU_CLASS][0]
    window = window_minutes(training.cadence, check, rollout.total_minutes)
    sizes = [
        size_training(spec, rec, i, m, window, speed)
        if m.trainable
        else TrainingSize(0, 0, 0.0, 0.0, 0, 0.0, True)
        for i, m in enumerate(models)
    ]
    warn_unfit(spec, rec, models, sizes, window)
    plans = tuple(
        _model_training(spec, m, tuple(triggers), check, rollout.total_minutes, size)
        for m, size in zip(models, sizes, strict=True)
    )
    return TrainingPlan(
        cadence=training.cadence,
        continuous=continuous,
        cron=cron,
        timezone=training.schedule_timezone,
        trigger_check_cron=check_cron,
        trigger_check_minutes=check,
        triggers=tuple(triggers),
        lookback_days=training.lookback_days,
        max_workers=training.parallelism.max_workers,
        rollout=rollout,
        models=plans,
    )
