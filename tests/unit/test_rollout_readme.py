"""The README's "Rollout" section and runbook entry: present for online progressive plans,
stated with the plan's numbers, absent where the plan promotes at once."""

from __future__ import annotations

from mlopsgen.targets.ops.readme import runbook_section
from mlopsgen.targets.zenml.rollout_readme import (
    error_alert,
    rollout_section,
    rolls_out,
    window_seconds,
)
from mlopsgen.targets.zenml.target import ZenMLTarget
from tests.unit import plan_support

FRAUD = "fraud-detection"


def test_fraud_rolls_out_by_its_canary_steps_judged_by_the_page_that_fits_a_step() -> None:
    plan = plan_support.plan(FRAUD)
    section = rollout_section(plan)
    assert section is not None
    assert "5 %, 25 %, 50 %, 100 % of units" in section
    assert "30 minutes a step (120 minutes in all)" in section
    # 30-minute steps: the 14.4x (5m) and 6x (30m) pages fit, the stricter 6x bounds errors
    alert = error_alert(plan)
    assert alert is not None and (alert.burn_rate, alert.short_window) == (6.0, "30m")
    assert "above 0.0006 (the 6x page, 6h/30m" in section
    assert "after 1667 canary rows" in section
    assert "false_positive_rate of `fraud_xgb` at most 0.01" in section
    assert "python -m pipelines.rollout step" in section
    assert "PROMETHEUS_URL" in section and "CronJob" in section


def test_a_step_shorter_than_every_short_window_is_judged_by_the_first_page() -> None:
    edits = [(("training", "rollout", "step_minutes"), 2)]
    plan = plan_support.variant(FRAUD, edits).plan
    assert plan is not None
    alert = error_alert(plan)
    assert alert is not None and alert.burn_rate == 14.4


def test_all_at_once_promotes_at_once_without_a_section_or_runbook_entry() -> None:
    edits = [(("training", "rollout"), {"strategy": "all_at_once"})]
    plan = plan_support.variant(FRAUD, edits).plan
    assert plan is not None
    assert not rolls_out(plan)
    assert rollout_section(plan) is None
    assert "Rollout" not in ZenMLTarget().render(plan).sections
    assert "rollout-rolled-back" not in runbook_section(plan)


def test_the_runbook_says_what_to_do_after_a_rollback() -> None:
    runbook = runbook_section(plan_support.plan(FRAUD))
    assert '<a id="rollout-rolled-back"></a>' in runbook
    assert "python -m pipelines.rollout status" in runbook


def test_every_reference_stack_gets_the_same_section_twice() -> None:
    for stem in plan_support.REFERENCE:
        plan = plan_support.plan(stem)
        first = ZenMLTarget().render(plan).sections.get("Rollout")
        assert first is not None, stem  # every reference spec serves online by canary
        assert first == ZenMLTarget().render(plan_support.plan(stem)).sections["Rollout"]


def test_durations_are_read_as_prometheus_writes_them() -> None:
    assert [window_seconds(t) for t in ("5m", "30m", "6h", "3d", "1w")] == [
        300,
        1800,
        21600,
        259200,
        604800,
    ]
