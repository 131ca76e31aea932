"""Shape errors read in the spec's terms: no pydantic wording, a hint, and the fix where obvious."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mlopsgen.diagnostics import Diagnostic, set_value
from tests.unit.spec_edits import M0, apply, diagnostics_of

PYDANTIC_WORDS = ("Input should", "List should", "instance of", "after validation", "Value error")


def only(edits: list[tuple[tuple[str | int, ...], Any]]) -> Diagnostic:
    (found,) = diagnostics_of(yaml.safe_dump(apply(edits), sort_keys=False))
    return found


@pytest.mark.parametrize(
    ("edits", "message", "hint"),
    [
        (
            [(("slo", "latency_p95_ms"), "50ms")],
            "must be a number, not '50ms'",
            "write the number only: latency_p95_ms: 50 (the unit is in the key name)",
        ),
        (
            [(("slo", "availability"), "99.9%")],
            "must be a number, not '99.9%'",
            "availability is a percentage already",
        ),
        (
            [((*M0, "gpu"), 0)],
            "must be a mapping with keys serving, training, not 0",
            "write `gpu:` as a mapping of its keys",
        ),
        (
            [(("models",), [])],
            "must list at least 1 item, not an empty list",
            "add at least one entry under `models:`, each with name, task, framework",
        ),
        (
            [(("infrastructure", "cloud"), "awz")],
            "must be one of 'aws', 'gcp' or 'local', not 'awz'",
            "did you mean 'aws'?",
        ),
        (
            [(("slo", "availability"), 101)],
            "must be at most 99.999, not 101",
            "use a value of 99.999 or less",
        ),
    ],
)
def test_plain_message_and_hint(
    edits: list[tuple[tuple[str | int, ...], Any]], message: str, hint: str
) -> None:
    found = only(edits)
    assert found.code == "E204"
    assert message in found.message
    assert hint in (found.hint or "")
    assert not any(word in found.message for word in PYDANTIC_WORDS)


def test_a_number_with_its_unit_is_fixed_by_writing_the_number() -> None:
    found = only([(("slo", "latency_p95_ms"), "50ms")])
    assert found.fix == (set_value(("slo", "latency_p95_ms"), 50),)


def test_a_model_validator_passes_its_hint_and_fix() -> None:
    found = only([(("monitoring", "drift"), {"warn": 0.3, "alert": 0.2})])
    assert found.hint == "swap them: warn: 0.2 and alert: 0.3"
    assert {e.path[-1]: e.value for e in found.fix} == {"warn": 0.2, "alert": 0.3}
