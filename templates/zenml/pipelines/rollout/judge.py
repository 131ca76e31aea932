"""The verdict on a rollout step, from its signals: roll back, hold, advance or promote.

Pure decisions, no I/O, so every branch is plain to read:

1. a breach rolls back at once, whenever it is seen during the step (the alerts would fire
   now; waiting for the step's end only lets more units see the worse version): the canary's
   error ratio above the error bound, or a live quality metric outside its bound;
2. otherwise the step holds while it is younger than ``step_minutes`` or has fewer canary rows
   than the evidence it needs (no traffic, no verdict);
3. otherwise the candidate takes the next step's share, or becomes production after the last.

Quality with too few labelled outcomes is reported but neither blocks nor breaches: labels
often arrive days after a 30-minute step, and holding every rollout for them would make the
plan's step minutes meaningless. The error ratio and the quality bounds still guard each step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pipelines.rollout.policy import ErrorBound
from pipelines.rollout.signals import Counters, Quality
from pipelines.rollout.state import Rollout

__all__ = ["ADVANCE", "HOLD", "PROMOTE", "ROLL_BACK", "Verdict", "judge"]

ADVANCE = "advance"
HOLD = "hold"
PROMOTE = "promote"
ROLL_BACK = "roll_back"


@dataclass(frozen=True)
class Verdict:
    """What to do with the rollout, and why (one line a runbook can quote)."""

    action: str
    reason: str


def _breach(
    counters: Counters, bound: ErrorBound | None, quality: Sequence[Quality], min_outcomes: int
) -> str | None:
    if bound is not None and counters.rows and counters.error_ratio > bound.threshold:
        return (
            f"errors: canary error ratio {counters.error_ratio:.4g} "
            f"({counters.errors:g} of {counters.rows:g} rows) above {bound.threshold:.4g}, the "
            f"{bound.burn_rate:g}x burn-rate page ({bound.long_window}/{bound.short_window})"
        )
    for item in quality:
        if item.rows >= min_outcomes and item.breached:
            limits = []
            if item.bound.min is not None:
                limits.append(f"min {item.bound.min:g}")
            if item.bound.max is not None:
                limits.append(f"max {item.bound.max:g}")
            return (
                f"quality: {item.metric} {item.value:.4g} over {item.rows} labelled canary "
                f"predictions, outside its bound ({', '.join(limits)})"
            )
    return None


def judge(
    rollout: Rollout,
    counters: Counters,
    bound: ErrorBound | None,
    quality: Sequence[Quality],
    now: datetime,
    min_rows: int,
    min_outcomes: int,
) -> Verdict:
    """The verdict on the current step of ``rollout`` at ``now`` (see the module docstring)."""
    breach = _breach(counters, bound, quality, min_outcomes)
    if breach is not None:
        return Verdict(ROLL_BACK, breach)
    started = datetime.fromisoformat(rollout.step_started)
    minutes = (now - started).total_seconds() / 60.0
    if minutes < rollout.step_minutes:
        left = rollout.step_minutes - minutes
        return Verdict(HOLD, f"step {rollout.step + 1} has {left:.1f} of its minutes left")
    if counters.rows < min_rows:
        return Verdict(
            HOLD,
            f"the canary answered {counters.rows:g} rows this step; {min_rows} are needed "
            "before its error ratio is evidence",
        )
    if rollout.last_step:
        return Verdict(PROMOTE, f"healthy at {rollout.percent:g}% for {minutes:.0f} minutes")
    following = rollout.steps_percent[rollout.step + 1]
    return Verdict(ADVANCE, f"healthy at {rollout.percent:g}%: {following:g}% next")
