"""Every file in specs/invalid/ is rejected with its own diagnostics, rendered exactly.

Each file holds one mistake. The rendered text of its diagnostics (position, quoted line,
caret and hint) is snapshotted, so any change in wording or position shows up in review;
refresh with ``pytest tests/unit/test_invalid_specs.py --snapshot-update``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from mlopsgen.diagnostics import SpecError, format_diagnostic
from mlopsgen.spec.loader import load_spec
from tests.conftest import REPO, SPECS

INVALID = SPECS / "invalid"
FILES = sorted(p.name for p in INVALID.glob("*.yaml"))

EXPECTED_CODES: dict[str, set[str]] = {
    # reading the file and its YAML
    "binary.yaml": {"E102"},
    "non-utf8.yaml": {"E103"},
    "tab-indent.yaml": {"E104"},
    "deep-nesting.yaml": {"E105"},
    "two-documents.yaml": {"E106"},
    "empty.yaml": {"E107"},
    "alias-bomb.yaml": {"E108"},
    "python-tag.yaml": {"E109"},
    "duplicate-key.yaml": {"E112"},
    # shape
    "top-level-list.yaml": {"E201"},
    "top-level-scalar.yaml": {"E201"},
    "unknown-key.yaml": {"E202"},
    "missing-section.yaml": {"E203"},
    "availability-101.yaml": {"E204"},
    "latency-zero.yaml": {"E204"},
    "negative-rps.yaml": {"E204"},
    "huge-number.yaml": {"E204"},
    "infinite-number.yaml": {"E204"},
    "wrong-type.yaml": {"E204"},
    "norway-problem.yaml": {"E204"},
    "bad-cadence.yaml": {"E204"},
    "bad-cron.yaml": {"E204"},
    "bad-duration.yaml": {"E204"},
    "bad-name.yaml": {"E204"},
    "bad-trigger-kind.yaml": {"E204"},
    "drift-bands.yaml": {"E204"},
    "batch-no-section.yaml": {"E204"},
    "latency-with-unit.yaml": {"E204"},
    "empty-models.yaml": {"E204"},
    "gpu-scalar.yaml": {"E204"},
    "experiment-disagreement-range.yaml": {"E204"},
    # cross-field
    "duplicate-model.yaml": {"E301"},
    "unknown-source.yaml": {"E302"},
    "unknown-entity.yaml": {"E303"},
    "unknown-column.yaml": {"E304"},
    "feature-column.yaml": {"E304"},
    "unknown-feature-ref.yaml": {"E305"},
    "serving-unknown-model.yaml": {"E306"},
    "ensemble-unknown-model.yaml": {"E306"},
    "event-time-type.yaml": {"E307"},
    "partition-by.yaml": {"E307"},
    "routing-target.yaml": {"E308"},
    "ensemble-not-served.yaml": {"E308"},
    "anomaly-model.yaml": {"E308"},
    "ensemble-weights.yaml": {"E309"},
    "threshold-range.yaml": {"E310"},
    "experiment-metric.yaml": {"E311"},
    "guardrail-metric.yaml": {"E311"},
    "gate-metric.yaml": {"E312"},
    "variant-mismatch.yaml": {"E313"},
    "split-not-100.yaml": {"E314"},
    # independent mistakes in different sections, reported in one pass
    "three-mistakes.yaml": {"E202", "E306", "E314"},
    "baseline-effect.yaml": {"E315"},
    "effect-bare-number.yaml": {"E330"},
    "experiment-no-baseline.yaml": {"E331"},
    "experiment-no-daily-units.yaml": {"E332"},
    "missing-target.yaml": {"E316"},
    "label-leakage.yaml": {"E317"},
    "unsupported-framework.yaml": {"E333"},
    "label-rate-not-bool.yaml": {"E334"},
    "stream-view.yaml": {"E318"},
    "gpu-on-local.yaml": {"E320"},
    "gpu-no-class.yaml": {"E321"},
    "gpu-class-cloud.yaml": {"E322"},
    "single-zone-9999.yaml": {"E324"},
    "single-zone-99999.yaml": {"E329"},
    # language models
    "llm-block-on-classifier.yaml": {"E335"},
    "llm-context-short.yaml": {"E337"},
    "llm-embedding-outputs.yaml": {"E338"},
    "llm-gpu-disagrees.yaml": {"E339"},
    "llm-shared-path.yaml": {"E340"},
    "llm-beside-classifier.yaml": {"E341"},
    "availability-above-region.yaml": {"E329"},
    "batch-with-latency.yaml": {"E325"},
    "continuous-no-trigger.yaml": {"E326"},
    "cloud-no-region.yaml": {"E327"},
    # decision rules
    "rule-syntax.yaml": {"E401"},
    "rule-unknown-field.yaml": {"E402"},
    "rule-type-mismatch.yaml": {"E403"},
    "rule-bad-category.yaml": {"E404"},
}
"""The codes each invalid spec must produce: exactly one failure class per file."""

WITHOUT_HINT: dict[str, str] = {}
"""Files whose diagnostic carries no separate hint, and why none is needed."""

WITHOUT_COMMENT = {"binary.yaml", "non-utf8.yaml"}
"""Files that cannot start with a descriptive comment: they are not UTF-8 text."""


def rejected(name: str) -> SpecError:
    """Load ``specs/invalid/<name>`` by its repository-relative path and return the error."""
    with pytest.raises(SpecError) as caught:
        load_spec(Path("specs") / "invalid" / name)
    return caught.value


@functools.cache
def rejected_once(name: str) -> SpecError:
    """:func:`rejected`, loaded once per file for the tests that only inspect the result."""
    return rejected(name)


def render(exc: SpecError) -> str:
    """All diagnostics as the CLI prints them, with the quoted source lines."""
    parts = []
    for diagnostic in exc.diagnostics:
        source = exc.sources.get(diagnostic.span.file) if diagnostic.span else None
        parts.append(format_diagnostic(diagnostic, source))
    return "\n".join(parts) + "\n"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository root so spans and snapshots carry stable relative paths."""
    monkeypatch.chdir(REPO)


def test_every_invalid_spec_has_expected_codes() -> None:
    assert set(FILES) == set(EXPECTED_CODES)
    assert len(FILES) >= 30


@pytest.mark.parametrize("name", FILES)
def test_rendered_diagnostics_match_snapshot(name: str, snapshot: SnapshotAssertion) -> None:
    assert render(rejected_once(name)) == snapshot


@pytest.mark.parametrize("name", FILES)
def test_codes_are_the_expected_failure_class(name: str) -> None:
    exc = rejected_once(name)
    assert {d.code for d in exc.diagnostics} == EXPECTED_CODES[name]
    assert all(d.is_error for d in exc.diagnostics)


@pytest.mark.parametrize("name", FILES)
def test_diagnostics_point_into_the_file(name: str) -> None:
    exc = rejected_once(name)
    line_count = max((INVALID / name).read_bytes().count(b"\n"), 1)
    positioned = [d for d in exc.diagnostics if d.span is not None]
    assert positioned, "every invalid spec is reported with a position"
    for diagnostic in positioned:
        assert diagnostic.span is not None
        assert diagnostic.span.file == f"specs/invalid/{name}"
        assert 1 <= diagnostic.span.line <= line_count + 1
        assert diagnostic.span.column >= 1
        assert diagnostic.message


@pytest.mark.parametrize("name", sorted(set(FILES) - set(WITHOUT_HINT)))
def test_diagnostics_carry_a_hint(name: str) -> None:
    exc = rejected_once(name)
    assert all(d.hint for d in exc.diagnostics)


@pytest.mark.parametrize("name", sorted(set(FILES) - WITHOUT_COMMENT))
def test_file_says_what_is_wrong(name: str) -> None:
    first = (INVALID / name).read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and len(first) > 10
