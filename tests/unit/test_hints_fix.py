"""Every hint, followed, fixes the error: the proposed edits are applied and the spec re-checked.

A diagnostic whose hint proposes one concrete change carries it as data (``Diagnostic.fix``).
For every spec in ``specs/invalid/``, every reference spec and every warning example in
``tests/data/warnings/``, each proposed fix is applied to the parsed YAML and the result is
validated again the way ``mlopsgen validate`` does (spec checks and planner): the diagnostic
must be gone and no new error may appear; following a warning's fix may not bring a new
warning either. (Following an error's fix may leave a warning: E329's proposed 99.99 % is
reachable, and W503 then says it is the regional SLA, with its own fix.)

Every error and warning code the compiler can emit either shows such a fix on at least one of
those specs, or stands in ``tests/data/hints-needing-a-choice.txt`` with the reason its fix
needs a human choice; a diagnostic without a fix must have its code on that list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlopsgen.diagnostics import Diagnostic, SpecError
from mlopsgen.plan import build_plan
from mlopsgen.spec.edits import apply_edits
from mlopsgen.spec.loader import load_spec_bytes, load_spec_text
from tests.conftest import REFERENCE_SPECS, REPO, SPECS

WARNING_EXAMPLES = sorted((REPO / "tests" / "data" / "warnings").glob("*.yaml"))
CORPUS = [*sorted((SPECS / "invalid").glob("*.yaml")), *REFERENCE_SPECS, *WARNING_EXAMPLES]
REVIEWED_FILE = REPO / "tests" / "data" / "hints-needing-a-choice.txt"
ADD_A_CODE = (
    "give the diagnostic a `fix` (edits as data) and a spec in specs/invalid/ (errors) or "
    "tests/data/warnings/ (warnings) that shows it, or add a line `CODE  reason` to "
    f"{REVIEWED_FILE.relative_to(REPO)} saying why its fix needs a human choice"
)


def diagnose(raw: bytes, file: str) -> list[Diagnostic]:
    """What ``mlopsgen validate`` reports for these bytes: spec diagnostics, then the planner's."""
    try:
        loaded = load_spec_bytes(raw, file)
    except SpecError as exc:
        return exc.diagnostics
    return [*loaded.warnings, *build_plan(loaded).diagnostics]


def reviewed() -> dict[str, str]:
    """Codes whose fix needs a human choice, with the one-line reason given for each."""
    entries: dict[str, str] = {}
    for line in REVIEWED_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, _, reason = line.partition(" ")
            entries[code] = reason.strip()
    return entries


def emitted_codes() -> set[str]:
    """Every diagnostic code written in the compiler's source."""
    pattern = re.compile(r"\"([EW][1-9][0-9]{2})\"")
    return {
        code
        for path in (REPO / "compiler").rglob("*.py")
        for code in pattern.findall(path.read_text(encoding="utf-8"))
    }


def corpus_diagnostics() -> list[tuple[Path, Diagnostic]]:
    found = []
    for path in CORPUS:
        for diagnostic in diagnose(path.read_bytes(), path.name):
            found.append((path, diagnostic))
    return found


FOUND = corpus_diagnostics()
FIXES = [(path, d) for path, d in FOUND if d.fix]


def key(diagnostic: Diagnostic) -> tuple[str, tuple[str | int, ...]]:
    return diagnostic.code, diagnostic.path


@pytest.mark.parametrize(
    ("path", "diagnostic"),
    FIXES,
    ids=[f"{p.name}:{d.code}:{'.'.join(map(str, d.path))}" for p, d in FIXES],
)
def test_following_the_fix_removes_the_diagnostic_and_adds_none(
    path: Path, diagnostic: Diagnostic
) -> None:
    before = {key(d) for d in diagnose(path.read_bytes(), path.name)}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fixed = yaml.safe_dump(apply_edits(data, diagnostic.fix), sort_keys=False, allow_unicode=True)
    after_all = diagnose(fixed.encode("utf-8"), path.name)
    after = {key(d) for d in after_all}
    assert key(diagnostic) not in after, f"the fix {diagnostic.fix} left {diagnostic.message}"
    new = {key(d) for d in after_all if d.is_error or not diagnostic.is_error} - before
    assert not new, f"the fix {diagnostic.fix} brought new diagnostics: {new}"


def test_every_diagnostic_without_a_fix_has_a_reviewed_reason() -> None:
    listed = reviewed()
    missing = sorted(
        {f"{d.code} ({p.name})" for p, d in FOUND if not d.fix and d.code not in listed}
    )
    assert not missing, f"diagnostics without a fix: {', '.join(missing)}; {ADD_A_CODE}"


def test_every_code_has_a_fix_or_a_reviewed_reason() -> None:
    shown = {d.code for _, d in FIXES}
    missing = sorted(emitted_codes() - shown - set(reviewed()))
    assert not missing, f"codes with neither a fix nor a reason: {', '.join(missing)}; {ADD_A_CODE}"


def test_the_reviewed_list_names_real_codes_each_with_a_reason() -> None:
    emitted = emitted_codes()
    for code, reason in reviewed().items():
        assert code in emitted, f"{code} in {REVIEWED_FILE.name} is no longer emitted: remove it"
        assert len(reason) > 15, f"{code} in {REVIEWED_FILE.name} needs a one-line reason"


def test_the_fixed_spec_text_round_trips() -> None:
    text = (SPECS / "fraud-detection.yaml").read_text(encoding="utf-8")
    assert load_spec_text(text, "fraud-detection.yaml").spec.system.name == "fraud-detection"
