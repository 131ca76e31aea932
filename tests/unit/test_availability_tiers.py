"""Availability tiers are defined once; the spec check, the planner and its formulas agree."""

from __future__ import annotations

import pytest

from mlopsgen.plan.availability import ZONES_FOR_TEXT, zones_for_target
from mlopsgen.spec.availability import MULTI_ZONE_PERCENT, ZONE_SPARE_PERCENT, zones_needed


@pytest.mark.parametrize(
    ("target", "zones"), [(99.0, 1), (99.89, 1), (99.9, 2), (99.95, 2), (99.99, 3), (99.999, 3)]
)
def test_zones_per_availability_target(target: float, zones: int) -> None:
    assert zones_needed(target) == zones_for_target(target) == zones


def test_the_recorded_formula_is_built_from_the_tiers() -> None:
    expected = f"<{MULTI_ZONE_PERCENT:g} → 1, <{ZONE_SPARE_PERCENT:g} → 2, else 3"
    assert expected == ZONES_FOR_TEXT == "<99.9 → 1, <99.99 → 2, else 3"
