"""Availability targets from which a stack changes shape, defined once.

The spec checks refuse a single zone for these targets and the planner derives zones, spare
replicas and the autoscaling floor from them; both read the numbers here, and the formula
text the planner records is built from them, so the explanation cannot drift from the rule.

A 99.9 % month has a 43.2-minute error budget, less than a typical zone incident, so one zone
cannot hold it; a 99.99 % month has 4.32 minutes, so losing a zone must not breach the SLO at
all: three zones, each with one spare replica.
"""

from __future__ import annotations

__all__ = ["MULTI_ZONE_PERCENT", "ZONES_NEEDED", "ZONE_SPARE_PERCENT", "zones_needed"]

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
