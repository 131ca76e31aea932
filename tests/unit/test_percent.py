"""Percentages from the spec are printed with the digits the user wrote, never rounded."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsgen.spec.availability import percent
from tests.unit.spec_edits import EXPERIMENT, TWO_MODELS, apply, diagnostics_of


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


def test_a_split_just_off_100_is_not_printed_as_100() -> None:
    experiment = {**EXPERIMENT, "split": {"control": 50, "treatment": 50.00001}}
    text = yaml.safe_dump(apply([*TWO_MODELS, (("serving", "experiments"), [experiment])]))
    (found,) = [d for d in diagnostics_of(text) if d.code == "E314"]
    assert "sums to 100.00001 %" in found.message
