"""Independent mistakes are reported in one pass: checks run on every section that validated."""

from __future__ import annotations

import pytest

from mlopsgen.diagnostics import SpecError
from mlopsgen.spec.loader import load_spec, load_spec_text
from mlopsgen.spec.partial import SectionInvalid, Unvalidated
from tests.conftest import SPECS
from tests.unit.spec_edits import DELETE, apply, codes

THREE = SPECS / "invalid" / "three-mistakes.yaml"


def test_typo_unknown_model_and_split_are_reported_together() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(THREE)
    found = {(d.code, d.path) for d in caught.value.diagnostics}
    assert found == {
        ("E202", ("slo", "latency_p59_ms")),
        ("E306", ("serving", "models", 1)),
        ("E314", ("serving", "experiments", 0, "split")),
    }


def test_the_checks_report_the_same_after_the_typo_is_fixed() -> None:
    text = THREE.read_text(encoding="utf-8").replace("latency_p59_ms", "latency_p95_ms")
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, "three.yaml")
    assert sorted(d.code for d in caught.value.diagnostics) == ["E306", "E314"]


def test_a_check_reading_an_invalid_section_is_skipped_not_misled() -> None:
    # models[0] has a typo, so the models section did not validate: serving.models names
    # 'scorer', which must not be reported as an unknown model.
    found = codes([(("models", 0, "framwork"), "sklearn"), (("models", 0, "framework"), DELETE)])
    assert found == {"E202", "E203"}


def test_a_valid_section_is_still_checked_next_to_an_invalid_one() -> None:
    edits = [(("system", "nmae"), "x"), (("serving", "models"), ["scorer", "nope"])]
    assert codes(edits) == {"E202", "E306"}
    assert apply(edits)["serving"]["models"] == ["scorer", "nope"]


def test_a_stand_in_refuses_every_use() -> None:
    stand_in = Unvalidated("models")
    uses = (
        lambda: stand_in.name,
        lambda: list(stand_in),
        lambda: len(stand_in),
        lambda: bool(stand_in),
        lambda: "x" in stand_in,
        lambda: stand_in["x"],
    )
    for use in uses:
        with pytest.raises(SectionInvalid):
            use()
