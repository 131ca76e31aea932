"""What one region can promise, and how a percentage the user wrote is printed back.

The regional SLA is a fact about the clouds (dated with the planner's cloud table), but the
spec checks need it too: an availability target above it is an error of the spec, found by
``validate`` before any planning. The planner imports it from here.
"""

from __future__ import annotations

REGIONAL_SLA_PERCENT: dict[str, float] = {"aws": 99.99, "gcp": 99.99}
"""Published regional (multi-zone compute) SLA (2026-11): the ceiling of one region."""

ZONES_FOR_REGIONAL_SLA = 3
"""Zones a target at the regional SLA needs: enough that losing one keeps the SLO."""


def percent(value: float) -> str:
    """A percentage from the spec with exactly the digits the user wrote: 99.999 stays 99.999.

    Rounding a target for display (99.999 → 100) would state an SLO nobody asked for, so
    spec percentages are printed in Python's shortest round-trip form, without a ``.0``.
    """
    text = repr(float(value))
    return text.removesuffix(".0")
