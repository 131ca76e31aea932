"""Availability targets from which a stack changes shape, defined once.

The spec checks refuse a single zone for these targets and the planner derives zones, spare
replicas and the autoscaling floor from them; both read the numbers here, and the formula
text the planner records is built from them, so the explanation cannot drift from the rule.

A 99.9 % month has a 43.2-minute error budget, less than a typical zone incident, so one zone
cannot hold it; a 99.99 % month has 4.32 minutes, so losing a zone must not breach the SLO at
all: three zones, each with one spare replica. Above the cloud's regional SLA no zone count
helps: a single-region design cannot promise more, so the spec checks refuse such a target.
"""

from __future__ import annotations

__all__ = [
    "MULTI_ZONE_PERCENT",
    "REGIONAL_SLA_PERCENT",
    "ZONES_NEEDED",
    "ZONE_SPARE_PERCENT",
    "percent",
    "zones_needed",
]

MULTI_ZONE_PERCENT = 99.9
"""From this availability on, one zone is not enough: two zones at least."""

ZONE_SPARE_PERCENT = 99.99
"""From this availability on, losing a zone must keep the SLO: three zones, N+1 per zone."""

ZONES_NEEDED: tuple[tuple[float, int], ...] = ((ZONE_SPARE_PERCENT, 3), (MULTI_ZONE_PERCENT, 2))
"""(availability floor, zones) from the highest floor down; below every floor one zone."""


def zones_needed(target_percent: float) -> int:
    """Fewest zones that can hold an availability target through a zone incident."""
    for floor, zones in ZONES_NEEDED:
        if target_percent >= floor:
            return zones
    return 1


REGIONAL_SLA_PERCENT: dict[str, float] = {"aws": 99.99, "gcp": 99.99}
"""Published regional (multi-zone compute) SLA (2026-11): the ceiling of one region."""


def percent(value: float) -> str:
    """A percentage from the spec with exactly the digits the user wrote: 99.999 stays 99.999.

    Rounding a target for display (99.999 → 100) would state an SLO nobody asked for, so
    spec percentages are printed in Python's shortest round-trip form, without a ``.0``.
    """
    text = repr(float(value))
    return text.removesuffix(".0")
