"""Cadences to cron, and how often a cron expression fires in a 30-day month.

Words map to fixed, documented times: daily work runs at 03:00 in the schedule's timezone
(after the day's data has landed, before business hours in most of the world's offices),
weekly work on Sunday at 03:00. ``continuous`` is not a schedule but a reaction: the plan
turns it into a trigger check every 15 minutes, which bounds the reaction delay to a quarter
hour while a check that finds nothing new costs seconds.
"""

from __future__ import annotations

CONTINUOUS_CHECK_MINUTES = 15
"""How often a continuous cadence checks its triggers."""
TRIGGER_CHECK_MINUTES = 60
"""How often triggers are checked when training also has a fixed schedule."""

CADENCE_CRON = {
    "continuous": f"*/{CONTINUOUS_CHECK_MINUTES} * * * *",
    "hourly": "0 * * * *",
    "daily": "0 3 * * *",
    "weekly": "0 3 * * 0",
}

DAYS_PER_MONTH = 30
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def cadence_cron(cadence: str) -> str:
    """The cron expression of a cadence word; a cron cadence is returned unchanged."""
    return CADENCE_CRON.get(cadence, cadence)


def cadence_reason(cadence: str) -> str:
    """One line explaining the cron chosen for a cadence."""
    if cadence == "continuous":
        return (
            f"continuous: check triggers every {CONTINUOUS_CHECK_MINUTES} min and train only "
            "when one fires (bounded reaction delay, near-free idle checks)"
        )
    if cadence == "daily":
        return "daily at 03:00: after the day's data lands, before working hours"
    if cadence == "weekly":
        return "weekly, Sunday 03:00: the quietest hour of the week for shared clusters"
    if cadence == "hourly":
        return "hourly, on the hour"
    return "the spec's own cron expression"


def expand_field(text: str, low: int, high: int) -> set[int]:
    """Values a cron field matches (``*``, ``a-b``, ``*/n``, ``a-b/n``, lists)."""
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-")
            start, end = int(first), int(last)
        else:
            start = int(base)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values


def runs_per_month(expression: str) -> float:
    """How many times a five-field cron expression fires in a 30-day month.

    Day-of-month and day-of-week follow cron's rule: when both are restricted a day
    matches if either does. Weekdays count 30/7 times a month; days of month up to the 30th.
    """
    fields = expression.split()
    minute, hour, dom, month, dow = (
        expand_field(text, low, high) for text, (low, high) in zip(fields, _RANGES, strict=True)
    )
    dow = {d % 7 for d in dow}
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    by_dom = len({d for d in dom if d <= DAYS_PER_MONTH})
    by_dow = len(dow) * DAYS_PER_MONTH / 7
    if dom_any and dow_any:
        days = float(DAYS_PER_MONTH)
    elif dow_any:
        days = float(by_dom)
    elif dom_any:
        days = by_dow
    else:
        days = by_dom + by_dow - by_dom * len(dow) / 7
    return len(minute) * len(hour) * days * len(month) / 12
