"""checkov finds nothing to fail in any stack's infrastructure, and every skip is reviewed.

checkov runs once, offline (``--skip-download``), from its own virtualenv over a corpus holding
the five reference stacks and the mutated specs, and its JSON report is split by stack. Each
stack must have zero failed checks; each inline ``#checkov:skip=ID:reason`` must give a reason
and name a check on the reviewed allow-list (``tests/tools/checkov-skips.txt``), so a new skip
fails here until someone reviews and lists it.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.plan import Plan
from tests.checkov_env import allowed_skips, checkov_executable
from tests.conftest import REPO
from tests.terraform_support import AWS_STACKS, GCP_STACKS, MUTANTS, write_corpus

pytestmark = pytest.mark.slow

STACKS = (*AWS_STACKS, *GCP_STACKS, *MUTANTS)
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[Plan, Path]], Any]:
    root = tmp_path_factory.mktemp("checkov")
    corpus = write_corpus(root)
    command = [
        str(checkov_executable()),
        "--directory",
        str(root),
        "--framework",
        "terraform",
        "--skip-download",
        "--output",
        "json",
        "--soft-fail",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    return corpus, report


def _by_stack(report: Any, kind: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for check in report["results"].get(kind, []):
        stack = check["file_path"].strip("/").split("/", 1)[0]
        found.setdefault(stack, []).append(check)
    return found


@pytest.mark.parametrize("name", STACKS)
def test_checkov_reports_no_failed_check(name: str, scan: tuple[Any, Any]) -> None:
    _, report = scan
    failed = _by_stack(report, "failed_checks").get(name, [])
    passed = _by_stack(report, "passed_checks").get(name, [])
    assert len(passed) > 100, "checkov scanned almost nothing"
    assert [(c["check_id"], c["resource"]) for c in failed] == []


@pytest.mark.parametrize("name", STACKS)
def test_every_skip_checkov_applied_is_on_the_allow_list(name: str, scan: tuple[Any, Any]) -> None:
    _, report = scan
    skipped = Counter(c["check_id"] for c in _by_stack(report, "skipped_checks").get(name, []))
    assert set(skipped) <= set(allowed_skips())


def test_every_inline_skip_has_a_reason_and_a_listed_id() -> None:
    allowed = allowed_skips()
    found = 0
    for file in sorted((REPO / "templates" / "terraform").rglob("*.tf")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if match := SKIP.search(line):
                found += 1
                check, reason = match.group(1), (match.group(2) or "").strip()
                assert reason, f"{file.name}: skip of {check} gives no reason"
                assert check in allowed, f"{file.name}: {check} is not on the allow-list"
    assert found, "no inline skips found: the pattern no longer matches"


def test_the_allow_list_holds_only_skips_in_use() -> None:
    used = {
        match.group(1)
        for file in (REPO / "templates" / "terraform").rglob("*.tf")
        for match in SKIP.finditer(file.read_text(encoding="utf-8"))
    }
    assert set(allowed_skips()) == used
