"""Percentages from the spec are printed with the digits the user wrote, never rounded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsgen.spec.limits import percent


@pytest.mark.parametrize(
    ("value", "text"), [(99.999, "99.999"), (99.99, "99.99"), (99.0, "99"), (99.95, "99.95")]
)
def test_percent_keeps_the_written_digits(value: float, text: str) -> None:
    assert percent(value) == text


@settings(deadline=None, max_examples=200)
@given(st.decimals(min_value=90, max_value="99.999", places=3))
def test_percent_round_trips_any_written_target(written: object) -> None:
    value = float(str(written))
    assert float(percent(value)) == value
    assert "e" not in percent(value)
